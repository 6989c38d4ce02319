/**
 * The Node server's webhook boundary on real sockets (finding 6): slow headers and slow bodies
 * are cut off, and an early 413 leaves the keep-alive connection usable for the requests
 * queued behind it (before, a 4 MB chunked body over the bound reset the connection: the
 * client's write failed with EPIPE and the pipelined request was never answered).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import type { RunJob } from '../../../lib/jobs/job-context.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';

/** The runtime with the default 10-second deadline, and one with a 500 ms deadline. */
let runtime: NodeRuntime;
let impatient: NodeRuntime;

beforeAll(async () => {
  const settings = { ...DEFAULT_SETTINGS, port: 0, maxBodyBytes: 1024, webhookSecrets: ['s'] };
  // A runner that only observes jobs: it resolves with no outcome, so nothing is recorded.
  const runJob: RunJob = async () => {};
  runtime = await startNodeRuntime({ settings, runJob, logger: new MemoryLogger() });
  impatient = await startNodeRuntime({
    settings,
    runJob,
    logger: new MemoryLogger(),
    bodyTimeoutMs: 500,
  });
});

afterAll(async () => {
  await runtime?.close();
  await impatient?.close();
});

/** Opens a raw connection, lets `send` write to it, and collects what comes back until close. */
function exchange(
  send: (write: (chunk: string | Uint8Array) => void) => Promise<void> | void,
  endAfterMs = 20_000,
  port = runtime.port,
): Promise<{ text: string; error?: string | undefined; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    socket.on('data', (data) => {
      text += data.toString('latin1');
    });
    socket.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    socket.on('close', () => resolve({ text, error, closedAfterMs: Date.now() - started }));
    const timer = setTimeout(() => socket.destroy(), endAfterMs);
    socket.on('close', () => clearTimeout(timer));
    void Promise.resolve(send((chunk) => socket.write(chunk))).catch(() => undefined);
  });
}

/** The status codes of the responses in `text`, in order. */
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);

describe('the webhook boundary on real sockets', () => {
  it('answers 413 to a chunked body over the bound and still answers the request queued behind it', async () => {
    const { text, error } = await exchange((write) => {
      write(
        'POST /webhooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nx-github-event: push\r\n\r\n',
      );
      for (let sent = 0; sent < 4_000_000; sent += 65_536) {
        write(`${(65_536).toString(16)}\r\n`);
        write(new Uint8Array(65_536));
        write('\r\n');
      }
      write('0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    expect(error).toBeUndefined();
    expect(statuses(text)).toEqual(['413', '200']);
    expect(text).toContain('"status":"ok"');
  });

  it('answers 413 and closes the connection for a declared length too large to drain', async () => {
    const { text } = await exchange((write) => {
      write(
        `POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: ${200 * 1024 * 1024}\r\nx-github-event: push\r\n\r\n`,
      );
    });
    expect(statuses(text)).toEqual(['413']);
    expect(text.toLowerCase()).toContain('connection: close');
  });

  it('cuts off a body sent one byte at a time', async () => {
    const { text, closedAfterMs } = await exchange(
      async (write) => {
        write(
          'POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nx-github-event: push\r\n\r\n',
        );
        for (let i = 0; i < 8; i += 1) {
          write('{');
          await new Promise((r) => setTimeout(r, 250));
        }
      },
      8_000,
      impatient.port,
    );
    expect(statuses(text)).toEqual(['408']);
    expect(text).toContain('request body did not arrive within 500 ms');
    expect(closedAfterMs).toBeLessThan(8_000);
  });

  it('cuts off headers sent one byte at a time', async () => {
    const { text, closedAfterMs } = await exchange(
      async (write) => {
        for (const byte of 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa') {
          write(byte);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      12_000,
      impatient.port,
    );
    expect(text).not.toContain('"status":"ok"');
    expect(closedAfterMs).toBeLessThan(12_000);
  });
});
