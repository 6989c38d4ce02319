/**
 * A real moto server (the AWS API emulator from PyPI, built by `install.sh moto`) for tests
 * that need AWS KMS: started on a free loopback port, ready when it answers, its log kept
 * when it fails. A missing or broken moto fails the test loudly; it never skips it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { binary } from './paths.ts';

/** A running moto server. */
export interface Moto {
  /** `http://127.0.0.1:<port>`: pass it as the KMS endpoint (and AWS_ENDPOINT_URL_KMS). */
  endpoint: string;
  /** The log file, kept after `stop()` only when something failed. */
  logFile: string;
  /** Stops the server; removes its log unless `keepLog`. */
  stop(keepLog?: boolean): Promise<void>;
}

/** Dummy credentials moto accepts, in the environment form the AWS CLI and SDKs read. */
export const motoAwsEnv = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
} as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts moto_server and waits (up to `timeoutMs`) until it answers HTTP. */
export async function startMoto(timeoutMs = 60_000): Promise<Moto> {
  const command = binary('moto_server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-moto-'));
  const logFile = join(dir, 'moto.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited: string | undefined;
  child.on('error', (error) => {
    exited = `could not be started: ${error.message}`;
  });
  child.on('exit', (code, signal) => {
    exited ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (keepLog = false) => {
    if (exited === undefined && child.exitCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    if (!keepLog) rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    const ok = await fetch(`${endpoint}/moto-api/`)
      .then((r) => r.status < 500)
      .catch(() => false);
    if (ok) return { endpoint, logFile, stop };
    await sleep(200);
  }
  await stop(true);
  throw new Error(
    `moto_server (${command}) did not start on ${endpoint}: it ${exited ?? `did not answer within ${timeoutMs} ms`}.\n--- last lines of ${logFile} ---\n${tail(logFile)}`,
  );
}
