/**
 * The `fetch` Node uses for chart repositories and registries: undici's, with a DNS lookup
 * that refuses names resolving to loopback, private, link-local or metadata addresses unless
 * the operator allowed the host. The render core refuses such literal addresses already; this
 * closes the gap of a public-looking name that resolves inside the network.
 */
import { type LookupAddress, lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/** True for addresses a chart source may not resolve to without the operator's consent. */
export function isInternalAddress(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, '').match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}

/** A fetch whose connections only reach public addresses, or the hosts in `allowed`. */
export function chartSourceFetch(allowed: readonly string[]): typeof fetch {
  const allow = new Set(allowed.map((h) => h.toLowerCase().replace(/:\d+$/, '')));
  const agent = new Agent({
    connect: {
      lookup(hostname, options, callback) {
        const host = hostname.toLowerCase();
        lookup(host, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
          if (error) return callback(error, '', 0);
          const refused = addresses.find((a) => isInternalAddress(a.address));
          if (refused && !allow.has(host) && !(isIP(host) && allow.has(host))) {
            const denied = Object.assign(
              new Error(`${hostname} resolves to the internal address ${refused.address}`),
              { code: 'EACCES' },
            );
            return callback(denied, '', 0);
          }
          if ((options as { all?: boolean }).all) return callback(null, addresses as never, 0);
          const first = addresses[0] as LookupAddress;
          return callback(null, first.address, first.family);
        });
      },
    },
  });
  return ((input: RequestInfo | URL, init?: RequestInit) =>
    undiciFetch(
      input as never,
      { ...(init as object), dispatcher: agent } as never,
    )) as unknown as typeof fetch;
}
