/** `plumbline serve` as a child process, for the status page tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../functions/cli.ts', import.meta.url));
// The project's Node 24 (from npm), which runs .ts files; the system node may be older.
const node = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));

/** A running `plumbline serve`. */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts `plumbline serve --port 0 ...args` with `env` (and PATH), resolving once it listens.
 * Without `--config` it is given an empty settings file: a server an operator configured, with
 * JSON logs, never the embedded demo (which runs when nothing at all is configured).
 */
export async function startServe(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServeProcess> {
  const settingsDir = args.includes('--config')
    ? undefined
    : mkdtempSync(join(tmpdir(), 'plumbline-settings-'));
  const config = settingsDir ? ['--config', join(settingsDir, 'settings.yaml')] : [];
  if (settingsDir) writeFileSync(join(settingsDir, 'settings.yaml'), '');
  const child = spawn(node, [cli, 'serve', '--port', '0', ...config, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('exit', () => {
    if (settingsDir) rmSync(settingsDir, { recursive: true, force: true });
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
      const match = /listening on (http:\/\/[^\s"]+)/.exec(stdout);
      if (match) resolve((match[1] as string).replace('0.0.0.0', '127.0.0.1'));
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited early (${code}): ${stderr}${stdout}`)),
    );
  });
  return {
    url,
    child,
    output: () => stdout + stderr,
    stop() {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
