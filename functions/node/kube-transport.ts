/**
 * The Node transport for `KubeClient`: undici's fetch with a dispatcher that trusts the
 * cluster CA and presents a client certificate, plus an optional bearer token header. Workers
 * need none of this (plain fetch and headers), which is why `lib/` only sees a `fetch`.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import {
  createKubeClient,
  type KubeClient,
  type KubeClientOptions,
} from '../../lib/kube/client.ts';

/** How to reach and authenticate to a cluster from Node. */
export interface NodeClusterAccess {
  server: string;
  /** PEM of the cluster CA; omitted: the system trust store. */
  caPem?: string;
  /** Client certificate and key (PEM). */
  certPem?: string;
  keyPem?: string;
  /** SNI / certificate name override (kubeconfig `tls-server-name`). */
  tlsServerName?: string;
  /** Skip server verification: only for throwaway test clusters. */
  insecureSkipTlsVerify?: boolean;
  /** A fixed bearer token, or a function giving fresh headers per request. */
  token?: string;
  headers?: KubeClientOptions['headers'];
}

/** An undici Agent carrying the cluster CA, the client certificate and the server name. */
function agentFor(access: NodeClusterAccess): Agent {
  return new Agent({
    connections: 32,
    connect: {
      ...(access.caPem ? { ca: access.caPem } : {}),
      ...(access.certPem && access.keyPem ? { cert: access.certPem, key: access.keyPem } : {}),
      ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
      ...(access.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
    },
  });
}

/** A fetch bound to a dispatcher carrying the TLS material. */
export function nodeKubeFetch(access: NodeClusterAccess): typeof fetch {
  const dispatcher = agentFor(access);
  // undici's request API costs a fraction of its fetch's CPU per call (no WHATWG streams), which
  // matters at hundreds of requests a plan; the answer is wrapped back into a Web Response.
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
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
          ? undefined
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

/** The plain undici fetch with the same TLS material, for callers that need streaming. */
export function nodeKubeUndiciFetch(access: NodeClusterAccess): typeof fetch {
  const dispatcher = agentFor(access);
  // undici's fetch and the global one share the Web types; the cast only bridges declarations.
  return ((input: RequestInfo | URL, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

/** A `KubeClient` for Node from cluster access details. */
export function nodeKubeClient(
  access: NodeClusterAccess,
  options: Omit<KubeClientOptions, 'server' | 'fetch' | 'headers'> = {},
): KubeClient {
  const token = access.token;
  const headers = access.headers ?? (token ? { authorization: `Bearer ${token}` } : undefined);
  return createKubeClient({
    ...options,
    server: access.server,
    fetch: nodeKubeFetch(access),
    headers,
  });
}
