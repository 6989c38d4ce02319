/**
 * The SSH client's socket port on Cloudflare Workers: `connect()` from `cloudflare:sockets`
 * already has the shape `lib/hosts/ssh/client.ts` reads and writes, so host targets of
 * `ssh` targets of `PLUMBLINE_TARGETS` are reached from the Worker as from Node.
 */
import { connect } from 'cloudflare:sockets';
import type { Dial } from '../../lib/hosts/ssh/client.ts';

/** Opens TCP sockets with Workers' `connect()`. */
export const workersDial: Dial = async (host, port) => {
  const socket = connect({ hostname: host, port });
  await socket.opened;
  return {
    readable: socket.readable,
    writable: socket.writable,
    close: () => socket.close(),
  };
};
