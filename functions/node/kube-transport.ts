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

/** A fetch bound to a dispatcher carrying the TLS material. */
export function nodeKubeFetch(access: NodeClusterAccess): typeof fetch {
  const dispatcher = new Agent({
    connections: 32,
    connect: {
      ...(access.caPem ? { ca: access.caPem } : {}),
      ...(access.certPem && access.keyPem ? { cert: access.certPem, key: access.keyPem } : {}),
      ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
      ...(access.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
    },
  });
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
