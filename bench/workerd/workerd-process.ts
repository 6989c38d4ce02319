/**
 * A Worker in a workerd process of its own (the runtime Cloudflare Workers run, from the npm
 * package `workerd`), for measuring what a request costs inside it: the worker is bundled with
 * esbuild for workerd, served on a loopback port, and each measured request reports
 *   - the V8 heap, from V8's own `--trace-gc` lines (used and committed MiB at every
 *     collection during the request; the isolate's memory limit is on this heap),
 *   - the process's peak RSS growth (its high-water mark reset before the request),
 *   - the process's CPU time (user + system, all its threads: an upper bound of the isolate's).
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { freePort } from '../../test/env/processes.ts';
import { procCpuMs, procStatusKb } from '../measure/child-process.ts';

/** What one request cost inside workerd. */
export interface WorkerdCost {
  status: number;
  body: string;
  wallMs: number;
  cpuMs: number;
  /** Peak RSS during the request minus RSS before it, MiB. */
  rssGrowthMiB: number;
  /** Largest V8 heap (used, committed) at a collection during the request, MiB; undefined: none. */
  heapUsedMiB?: number;
  heapCommittedMiB?: number;
  /** Collections during the request. */
  collections: number;
}

/** A running workerd with one Worker. */
export interface WorkerdProcess {
  pid: number;
  /** workerd's version. */
  version: string;
  /** Sends `GET path` and measures it. */
  measure(path: string): Promise<WorkerdCost>;
  stop(): Promise<void>;
}

/** The workerd binary of the npm package. */
export function workerdBinary(): { path: string; version: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve('workerd');
  const pkg = require('workerd/package.json') as { version: string };
  const path = join(main, '..', '..', 'bin', 'workerd');
  return { path, version: pkg.version };
}

// V8's trace line: "Scavenge 5.4 (6.5) -> 4.9 (7.5) MB": used (committed) before -> after.
const GC_LINE =
  /: (?:Scavenge|Mark-Compact|Minor Mark-Sweep|Mark-Sweep)[^:]*?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;

/** Bundles `entry` and starts workerd serving it; `dir` holds the bundle and config. */
export async function startWorkerd(entry: string, dir: string): Promise<WorkerdProcess> {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2024',
    outfile: join(dir, 'worker.js'),
    minify: true,
    logLevel: 'warning',
  });
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.capnp'),
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      'const config :Workerd.Config = (',
      '  services = [ (name = "main", worker = .worker) ],',
      `  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],`,
      '  v8Flags = ["--trace-gc"],',
      ');',
      'const worker :Workerd.Worker = (',
      '  modules = [ (name = "worker.js", esModule = embed "worker.js") ],',
      // The same date as wrangler.toml: the Worker's own runtime behaviour.
      '  compatibilityDate = "2026-11-01",',
      ');',
      '',
    ].join('\n'),
  );
  const binary = workerdBinary();
  // V8 prints through stdio: unbuffered, or the lines arrive after the request they describe.
  const unbuffered = existsSync('/usr/bin/stdbuf');
  const child = spawn(
    unbuffered ? '/usr/bin/stdbuf' : binary.path,
    [...(unbuffered ? ['-o0', '-e0', binary.path] : []), 'serve', 'config.capnp'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let lines: string[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString('utf8');
    const parts = text.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited: ${stderr}`);
    try {
      await fetch(`${url}/ready`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`workerd did not listen: ${stderr}`);
      await sleep(100);
    }
  }
  const pid = child.pid as number;
  return {
    pid,
    version: binary.version,
    async measure(path) {
      // Reset the high-water mark, so the peak read after is this request's.
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      const rssBefore = procStatusKb(pid, 'VmRSS') ?? 0;
      const cpuBefore = procCpuMs(pid) ?? 0;
      lines = [];
      const started = performance.now();
      const response = await fetch(`${url}${path}`);
      const body = await response.text();
      const wallMs = performance.now() - started;
      await sleep(50);
      const cpuMs = (procCpuMs(pid) ?? 0) - cpuBefore;
      const peak = procStatusKb(pid, 'VmHWM') ?? 0;
      let used: number | undefined;
      let committed: number | undefined;
      let collections = 0;
      for (const line of lines) {
        const m = GC_LINE.exec(line);
        if (!m) continue;
        collections++;
        used = Math.max(used ?? 0, Number(m[1]), Number(m[3]));
        committed = Math.max(committed ?? 0, Number(m[2]), Number(m[4]));
      }
      return {
        status: response.status,
        body,
        wallMs,
        cpuMs,
        rssGrowthMiB: (peak - rssBefore) / 1024,
        ...(used !== undefined ? { heapUsedMiB: used } : {}),
        ...(committed !== undefined ? { heapCommittedMiB: committed } : {}),
        collections,
      };
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
