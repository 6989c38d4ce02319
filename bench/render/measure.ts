/**
 * Whole-process measurements: wall time and peak resident memory (VmHWM) of a command, read
 * with GNU time when it is installed, else by polling /proc/<pid>/status while it runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one run cost and printed. */
export interface Measurement {
  wallMs: number;
  peakKb: number;
  status: number;
  stdout: string;
  stderr: string;
}

const gnuTime = '/usr/bin/time';

/** Runs `command args` to completion and measures it. */
export function measure(
  command: string,
  args: string[],
  cwd?: string,
  env?: Record<string, string>,
): Promise<Measurement> {
  const useTime = existsSync(gnuTime);
  const report = join(
    tmpdir(),
    `plumbline-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  const argv = useTime ? ['-f', '%M', '-o', report, command, ...args] : args;
  const started = performance.now();
  const child = spawn(useTime ? gnuTime : command, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peakKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const kb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
          peakKb = Math.max(peakKb, kb);
        } catch {
          // The process may have exited between polls.
        }
      }, 5);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (poll) clearInterval(poll);
      if (useTime) {
        const lines = readFileSync(report, 'utf8').trim().split('\n');
        peakKb = Number(lines[lines.length - 1]);
        rmSync(report, { force: true });
      }
      resolve({
        wallMs,
        peakKb,
        status: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
