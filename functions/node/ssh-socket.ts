/**
 * The Node side of the SSH client's socket port: a TCP connection (`node:net`) as the web
 * streams `lib/hosts/ssh/client.ts` reads and writes, the same shape Cloudflare's `connect()`
 * returns. Connecting has its own timeout, so an unreachable host fails in seconds.
 */
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import type { ByteSocket, Dial } from '../../lib/hosts/ssh/client.ts';

/** Opens TCP connections, failing after `timeoutMs` (default 10 s) without an answer. */
export function nodeDial(options: { timeoutMs?: number } = {}): Dial {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (host, port) =>
    new Promise<ByteSocket>((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`no answer from ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`),
        );
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        // Errors after connecting surface as stream errors on the reader.
        socket.on('error', () => undefined);
        const { readable, writable } = Duplex.toWeb(socket);
        resolve({
          readable: readable as ReadableStream<Uint8Array>,
          writable: writable as WritableStream<Uint8Array>,
          close: async () => {
            socket.destroy();
          },
        });
      });
    });
}
