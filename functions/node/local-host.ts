/**
 * `HostShell` for `local` host targets: the scripts run with `/bin/sh` on the machine
 * Plumbline runs on, as its own user, with their input on stdin. No network, no credentials.
 */
import { spawn } from 'node:child_process';
import type { HostShell, ShellResult } from '../../lib/hosts/host-shell.ts';

/** Output kept per script before it is cut off. */
const MAX_OUTPUT = 32 * 1024 * 1024;

/** A shell on this machine. */
export function localHostShell(options: { timeoutMs?: number } = {}): HostShell {
  let commands = 0;
  return {
    label: 'local',
    run(script, stdin) {
      commands += 1;
      return new Promise<ShellResult>((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', script], {
          stdio: ['pipe', 'pipe', 'pipe'],
          timeout: options.timeoutMs ?? 300_000,
        });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let size = 0;
        const collect = (into: Buffer[]) => (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_OUTPUT) child.kill('SIGKILL');
          else into.push(chunk);
        };
        child.stdout.on('data', collect(stdout));
        child.stderr.on('data', collect(stderr));
        child.on('error', reject);
        // A script that exits before reading all of its input closes the pipe: not an error.
        child.stdin.on('error', () => undefined);
        child.on('close', (code, signal) =>
          resolve({
            code,
            ...(signal ? { signal } : {}),
            stdout: new Uint8Array(Buffer.concat(stdout)),
            stderr: new Uint8Array(Buffer.concat(stderr)),
          }),
        );
        child.stdin.end(stdin ? Buffer.from(stdin) : undefined);
      });
    },
    stats: () => ({ connections: 0, roundTrips: 0, commands }),
    close: async () => undefined,
  };
}
