/**
 * What one command costs, measured from outside: wall time, CPU time (user + system, its
 * children included) and peak resident memory (VmHWM). GNU time reports them when it is
 * installed (`/usr/bin/time`, the kernel's own accounting of the waited process tree); without
 * it, `/proc/<pid>` is polled while the command runs, which can miss the last few milliseconds.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one run cost and printed. */
export interface ProcessRun {
  wallMs: number;
  /** User + system CPU time of the process and the children it waited for. */
  cpuMs: number;
  /** Peak resident set size (VmHWM), KiB. */
  peakKb: number;
  status: number;
  stdout: string;
  stderr: string;
}

/** How to run it. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text written to its standard input. */
  stdin?: string;
}

const gnuTime = '/usr/bin/time';

/** Which measurement `measureProcess` uses on this machine (for the report). */
export function processMeter(): string {
  return existsSync(gnuTime) ? 'GNU time (rusage of the waited process)' : '/proc polling';
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ is 100 on every Linux we run on). */
export const CLOCK_TICKS = 100;

/** CPU milliseconds of a live process (user + system, its waited children included). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status in KiB (VmHWM, VmRSS...). */
export function procStatusKb(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `command args` to completion and measures it. */
export function measureProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessRun> {
  const useTime = existsSync(gnuTime);
  const report = join(
    tmpdir(),
    `plumbline-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  const argv = useTime ? ['-f', '%e %U %S %M', '-o', report, command, ...args] : [...args];
  const started = performance.now();
  const child = spawn(useTime ? gnuTime : command, argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let polledKb = 0;
  let polledCpu = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        if (child.pid === undefined) return;
        polledKb = Math.max(polledKb, procStatusKb(child.pid, 'VmHWM') ?? 0);
        polledCpu = Math.max(polledCpu, procCpuMs(child.pid) ?? 0);
      }, 5);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (poll) clearInterval(poll);
      let cpuMs = polledCpu;
      let peakKb = polledKb;
      if (useTime) {
        // GNU time appends its line after anything the command wrote to the same file.
        const line = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '';
        const [, user, system, maxKb] = line.split(' ').map(Number);
        cpuMs = ((user ?? 0) + (system ?? 0)) * 1000;
        peakKb = maxKb ?? 0;
        rmSync(report, { force: true });
      }
      resolve({
        wallMs,
        cpuMs,
        peakKb,
        status: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
