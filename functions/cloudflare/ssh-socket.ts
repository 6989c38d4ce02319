/**
 * The SSH client's socket port on Cloudflare Workers: `connect()` from `cloudflare:sockets`
 * already has the shape `lib/hosts/ssh/client.ts` reads and writes. Not wired into the Worker's
 * flows yet (see docs/hosts.md, "Runtimes"): the workers tests use it to prove the client runs
 * in workerd against a real sshd.
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
