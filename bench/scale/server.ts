/**
 * The Node server of the scale benchmark: what `plumbline serve` runs (settings from the
 * environment, `startNodeRuntime`, the Node reconciler, its JSON logs), in a process of its own
 * so its CPU and peak memory are its own, plus an IPC hook the benchmark drives it with:
 *   `{cmd: 'idle'}`   answers once every queued job has run;
 *   `{cmd: 'sweep'}`  enqueues a sweep of every app (what the timer does) and answers when done;
 *   `{cmd: 'counts'}` answers the cluster requests made so far, by method.
 * Logs go to the file named by BENCH_LOG (warnings and errors are counted for the report).
 */
import { appendFileSync } from 'node:fs';
import { nodeReconciler, reconcilerOptionsFromEnv } from '../../functions/node/reconciler.ts';
import { loadSettings } from '../../functions/node/settings.ts';
import { startNodeRuntime } from '../../functions/node.ts';
import { jsonLogger } from '../../lib/ports/logger.ts';

/** What the server answers on IPC. */
export interface ServerReply {
  cmd: string;
  url?: string;
  apps?: number;
  clusterRequests: Record<string, number>;
  warnings: number;
  errors: number;
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
      return inner(input, init);
    },
  }),
});
const reply = (cmd: string, extra: Partial<ServerReply> = {}) =>
  send({ cmd, clusterRequests: { ...clusterRequests }, warnings, errors, ...extra });
process.on('message', (message: { cmd: string }) => {
  void (async () => {
    if (message.cmd === 'idle') {
      await runtime.queue.idle();
      reply('idle');
    } else if (message.cmd === 'sweep') {
      const apps = await runtime.sweep();
      await runtime.queue.idle();
      reply('sweep', { apps });
    } else if (message.cmd === 'counts') {
      reply('counts');
    } else if (message.cmd === 'stop') {
      await runtime.close();
      reply('stop');
      process.disconnect?.();
    }
  })();
});
reply('ready', { url: runtime.url });
