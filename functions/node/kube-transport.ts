/**
 * The Node transport for `KubeClient`: undici's fetch with a dispatcher that trusts the
 * cluster CA and presents a client certificate, plus an optional bearer token header. Workers
 * need none of this (plain fetch and headers), which is why `lib/` only sees a `fetch`.
 *
 * Every TLS option that decides whom a credential is sent to (`rejectUnauthorized`, `ca`,
 * `servername`, `checkServerIdentity`, `minVersion`) is set as an own property, and the
 * caller's options are read from own properties only: nothing is read through a prototype.
 * Host names that resolve to a link-local or metadata address are refused at connect time
 * (unless the binding allows them), and no request leaves a process whose prototypes changed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { checkServerIdentity } from 'node:tls';
import { Agent } from 'undici';
import { isLinkLocalAddress } from '../../lib/config/server-address.ts';
import {
  createKubeClient,
  type KubeClient,
  type KubeClientOptions,
} from '../../lib/kube/client.ts';
import { assertPristinePrototypes } from './prototype-tripwire.ts';

/** How to reach and authenticate to a cluster from Node. */
export interface NodeClusterAccess {
  server: string;
  /** PEM of the cluster CA; omitted: the system trust store. */
  caPem?: string | undefined;
  /** Client certificate and key (PEM). */
  certPem?: string | undefined;
  keyPem?: string | undefined;
  /** SNI / certificate name override (kubeconfig `tls-server-name`). */
  tlsServerName?: string;
  /** Skip server verification: only for throwaway test clusters (kubeconfig on a laptop). */
  insecureSkipTlsVerify?: boolean;
  /** Allow a host name that resolves to a link-local or metadata address. */
  allowLinkLocal?: boolean;
  /** A fixed bearer token, or a function giving fresh headers per request. */
  token?: string;
  headers?: KubeClientOptions['headers'];
}

/** `access[key]` if `access` itself holds it (never a value inherited through a prototype). */
function own<K extends keyof NodeClusterAccess>(
  access: NodeClusterAccess,
  key: K,
): NodeClusterAccess[K] | undefined {
  return Object.hasOwn(access, key) ? access[key] : undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** How host names are resolved (`dns.lookup`, or a stand-in in tests). */
export type Resolve = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `net.connect` that refuses answers that are link-local or metadata
 * addresses: a name that resolves there (DNS rebinding, a typo) never gets a credential.
 */
export function linkLocalRefusingLookup(
  resolve: Resolve = dnsLookup as unknown as Resolve,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((a) => isLinkLocalAddress(a.address));
      if (refused) {
        const denied: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to the link-local or metadata address ${refused.address}; refusing to send a credential there (allowLinkLocal on the binding allows it)`,
        );
        denied.code = 'EACCES';
        return callback(denied, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      return first ? callback(null, first.address, first.family) : callback(null, '', 4);
    });
  };
}

/** An undici Agent carrying the cluster CA, the client certificate and the server name. */
function agentFor(access: NodeClusterAccess): Agent {
  const caPem = own(access, 'caPem');
  const certPem = own(access, 'certPem');
  const keyPem = own(access, 'keyPem');
  const servername = own(access, 'tlsServerName');
  const insecure = own(access, 'insecureSkipTlsVerify') === true;
  return new Agent({
    connections: 32,
    connect: {
      // Own properties, present even when unset, so no default is taken from a prototype.
      ca: caPem || undefined,
      cert: certPem && keyPem ? certPem : undefined,
      key: certPem && keyPem ? keyPem : undefined,
      servername: servername || undefined,
      rejectUnauthorized: !insecure,
      checkServerIdentity,
      minVersion: 'TLSv1.2',
      ...(own(access, 'allowLinkLocal') === true ? {} : { lookup: linkLocalRefusingLookup() }),
    },
  });
}

/** A fetch bound to a dispatcher carrying the TLS material. */
export function nodeKubeFetch(access: NodeClusterAccess): typeof fetch {
  const dispatcher = agentFor(access);
  // undici's request API costs a fraction of its fetch's CPU per call (no WHATWG streams), which
  // matters at hundreds of requests a plan; the answer is wrapped back into a Web Response.
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    assertPristinePrototypes();
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const answer = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: (init?.method ?? 'GET') as 'GET',
      headers,
      body:
        init?.body === undefined || init.body === null
          ? null
          : typeof init.body === 'string' || init.body instanceof Uint8Array
            ? init.body
            : String(init.body),
    });
    const text = await answer.body.text();
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v);
    }
    // A null-body status (204, 304) may not carry a body in a Response.
    const body = answer.statusCode === 204 || answer.statusCode === 304 ? null : text;
    return new Response(body, { status: answer.statusCode, headers: responseHeaders });
  }) as typeof fetch;
}

/** A `KubeClient` for Node from cluster access details. */
export function nodeKubeClient(
  access: NodeClusterAccess,
  options: Omit<KubeClientOptions, 'server' | 'fetch' | 'headers'> = {},
): KubeClient {
  const token = own(access, 'token');
  const headers =
    own(access, 'headers') ?? (token ? { authorization: `Bearer ${token}` } : undefined);
  return createKubeClient({
    ...options,
    server: access.server,
    fetch: nodeKubeFetch(access),
    headers,
  });
}
