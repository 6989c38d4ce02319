/**
 * Child processes of the test environment: started with their output in a log file, watched
 * until ready, stopped on teardown. A component that fails to start is reported by name, with
 * the tail of its log and where the whole log was kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Raised when a component of the test environment cannot start. */
export class TestEnvError extends Error {
  override readonly name = 'TestEnvError';
}

/** A running component. */
export interface Component {
  readonly name: string;
  readonly logFile: string;
  readonly process: ChildProcess;
  /** Why it exited, when it has. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Component>();

// A test run that dies without teardown must not leave an etcd or apiserver behind.
process.once('exit', () => {
  for (const component of running) component.process.kill('SIGKILL');
});

/** Starts `command` with its stdout and stderr in `logFile`. */
export function startComponent(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Component {
  const fd = openSync(logFile, 'a');
  let exitReason: string | undefined;
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.on('error', (error) => {
    exitReason = `could not be started: ${error.message}`;
  });
  child.on('exit', (code, signal) => {
    exitReason ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
    running.delete(component);
  });
  const component: Component = {
    name,
    logFile,
    process: child,
    exited: () => exitReason,
    async stop(graceMs = 5_000) {
      if (exitReason !== undefined || child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
  running.add(component);
  return component;
}

/** The last `lines` lines of a log file. */
export function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** What went wrong with a component, from its log: a taken port is said plainly. */
export function diagnose(component: Component, port?: number): string {
  const tail = logTail(component.logFile);
  const taken = /address already in use|bind: address|listen tcp .*: bind/i.test(tail);
  const what = taken
    ? `port ${port ?? '(see log)'} is already taken by another process; stop it or let the harness choose free ports`
    : `it ${component.exited() ?? 'did not become ready in time'}`;
  return `${component.name} failed to start: ${what}.\n--- last lines of ${component.logFile} ---\n${tail}`;
}

/**
 * Polls `probe` until it returns true. Fails with the component's diagnosis when the process
 * exits or the deadline passes.
 */
export async function waitUntilReady(
  component: Component,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, port }: { timeoutMs?: number; port?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (component.exited() !== undefined) throw new TestEnvError(diagnose(component, port));
    // A probe may hang (something else holds the port and never answers): bound each one.
    const answered = await Promise.race([
      probe().catch(() => false),
      sleep(2_000).then(() => false),
    ]);
    if (answered) return;
    await sleep(200);
  }
  await component.stop();
  throw new TestEnvError(diagnose(component, port));
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
