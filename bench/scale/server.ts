/**
 * The Node server of the scale benchmark: what `plumbline serve` runs (settings from the
 * environment, `startNodeRuntime`, the Node reconciler, its JSON logs), in a process of its own
 * so its CPU and peak memory are its own, plus an IPC hook the benchmark drives it with:
 *   `{cmd: 'idle'}`   answers once every queued job has run;
 *   `{cmd: 'sweep'}`  enqueues a sweep of every app (what the timer does) and answers when done;
 *   `{cmd: 'counts'}` answers the cluster requests made so far, by method;
 *   `{cmd: 'memory'}` answers, in `memory`, what the server holds: its V8 heap after a full
 *   collection (the benchmark forks it with --expose-gc), asked after a phase is measured, so
 *   what a phase keeps can be told from what it only passed through;
 *   `{cmd: 'profile-start'}` / `{cmd: 'profile-stop', name}` take a V8 CPU profile of the
 *   server between the two (written as `<BENCH_SCALE_PROFILE>/<name>.cpuprofile`), so each
 *   phase can be profiled alone without a flag on the whole process.
 * Logs go to the file named by BENCH_LOG (warnings and errors are counted for the report).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { nodeReconciler, reconcilerOptionsFromEnv } from '../../functions/node/reconciler.ts';
import { loadSettings } from '../../functions/node/settings.ts';
import { startNodeRuntime } from '../../functions/node.ts';
import { jsonLogger } from '../../lib/ports/logger.ts';
import { mib } from '../measure/stats.ts';

/** What the server answers on IPC. */
export interface ServerReply {
  cmd: string;
  url?: string;
  apps?: number;
  clusterRequests: Record<string, number>;
  /** Cluster requests by method and path, names and namespaces replaced by placeholders. */
  clusterRoutes: Record<string, number>;
  warnings: number;
  errors: number;
  /**
   * Answering `memory`, MiB: V8 heap used after a full collection and the heap V8 keeps
   * committed, memory outside it that V8 knows of (array buffers and other external memory),
   * and the RSS then.
   */
  memory?: { heapMiB: number; heapTotalMiB: number; externalMiB: number; rssMiB: number };
}

const send = (message: ServerReply) => process.send?.(message);
const logFile = process.env.BENCH_LOG ?? '/dev/null';
let warnings = 0;
let errors = 0;
const logger = jsonLogger((line) => {
  if (line.includes('"level":"warn"')) warnings++;
  if (line.includes('"level":"error"')) errors++;
  appendFileSync(logFile, line);
});
const clusterRequests: Record<string, number> = {};
const clusterRoutes: Record<string, number> = {};

/** `GET /api/v1/namespaces/{ns}/configmaps/{name}` for a request path, query dropped. */
function routeOf(method: string, url: string): string {
  const segments = new URL(url, 'http://x').pathname.split('/').filter(Boolean);
  // The group version: `api/v1` or `apis/<group>/<version>`; what follows names the object.
  const prefix = segments[0] === 'apis' ? 3 : 2;
  const rest = segments.slice(prefix);
  if (rest[0] === 'namespaces' && rest.length >= 2) rest[1] = '{ns}';
  const nameAt = rest[0] === 'namespaces' ? (rest.length > 2 ? 3 : 1) : 1;
  if (rest.length > nameAt) rest[nameAt] = '{name}';
  return `${method} /${[...segments.slice(0, prefix), ...rest].join('/')}`;
}
const settings = loadSettings({ env: process.env, flags: { port: 0 } });
const runtime = await startNodeRuntime({
  settings,
  logger,
  runJob: nodeReconciler({
    ...reconcilerOptionsFromEnv(process.env),
    wrapTransport: (inner) => (input, init) => {
      const method = (
        init?.method ?? (input instanceof Request ? input.method : 'GET')
      ).toUpperCase();
      clusterRequests[method] = (clusterRequests[method] ?? 0) + 1;
      const url = input instanceof Request ? input.url : String(input);
      const route = routeOf(method, url);
      clusterRoutes[route] = (clusterRoutes[route] ?? 0) + 1;
      return inner(input, init);
    },
  }),
});
/** The heap after a full collection (when --expose-gc gave `gc`), and the RSS then. */
function heldMemory(): NonNullable<ServerReply['memory']> {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  const tenths = (bytes: number) => Math.round(mib(bytes / 1024) * 10) / 10;
  return {
    heapMiB: tenths(usage.heapUsed),
    heapTotalMiB: tenths(usage.heapTotal),
    externalMiB: tenths(usage.external),
    rssMiB: tenths(usage.rss),
  };
}
const reply = (cmd: string, extra: Partial<ServerReply> = {}) =>
  send({
    cmd,
    clusterRequests: { ...clusterRequests },
    clusterRoutes: { ...clusterRoutes },
    warnings,
    errors,
    ...extra,
  });
const profileDir = process.env.BENCH_SCALE_PROFILE;
let profiler: Session | undefined;
process.on('message', (message: { cmd: string; name?: string }) => {
  void (async () => {
    if (message.cmd === 'profile-start' && profileDir) {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      // 1 ms (the default) keeps the profiler's own cost small over a minutes-long phase.
      await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
      await profiler.post('Profiler.start');
      reply('profile-start');
    } else if (message.cmd === 'profile-stop' && profiler && profileDir) {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(
        join(profileDir, `${message.name ?? 'phase'}.cpuprofile`),
        JSON.stringify(profile),
      );
      reply('profile-stop');
    } else if (message.cmd.startsWith('profile-')) {
      reply(message.cmd);
    } else if (message.cmd === 'idle') {
      await runtime.queue.idle();
      reply('idle');
    } else if (message.cmd === 'sweep') {
      const apps = await runtime.sweep();
      await runtime.queue.idle();
      reply('sweep', { apps });
    } else if (message.cmd === 'counts') {
      reply('counts');
    } else if (message.cmd === 'memory') {
      reply('memory', { memory: heldMemory() });
    } else if (message.cmd === 'stop') {
      await runtime.close();
      reply('stop');
      process.disconnect?.();
    }
  })();
});
reply('ready', { url: runtime.url });
