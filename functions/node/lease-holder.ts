/**
 * Lease holder identities of Node processes (`cli/<host>/<pid>`, `node/<host>/<pid>`), and the
 * liveness check `lib/inventory/lease.ts` asks the runtime for: a holder on this host whose
 * process is gone cannot finish its run, so its lease is taken over at once instead of after
 * a lease duration.
 */
import { hostname } from 'node:os';

/** The identity of this process as a lease holder, e.g. `cli/build-7/4242`. */
export function holderIdentity(kind: 'cli' | 'node'): string {
  return `${kind}/${hostname()}/${process.pid}`;
}

/**
 * Whether the process behind a holder identity still runs: `false` only when it is on this
 * host and no process has its pid (`kill(pid, 0)` answers ESRCH); `undefined` when it is on
 * another host or not one of ours. A reused pid looks alive: the lease then expires normally.
 */
export function isLocalHolderAlive(
  identity: string,
  host: string = hostname(),
): boolean | undefined {
  const match = /^(?:cli|node)\/(.+)\/(\d+)(?:#.*)?$/.exec(identity);
  if (!match || match[1] !== host) return undefined;
  const pid = Number(match[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
