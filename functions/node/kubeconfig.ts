/**
 * Loads a kubeconfig with `@kubernetes/client-node` (the format's reference reader in
 * TypeScript: file references, exec plugins, token files) and turns one context into what
 * `nodeKubeClient` needs.
 */
import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { CredentialsError, messageOf } from '../../lib/errors.ts';
import type { NodeClusterAccess } from './kube-transport.ts';

function pem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => pem(v)).join('\n');
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Reads `path` (or the default locations) and resolves `context` (or the current one). */
export async function loadKubeconfig(
  options: { path?: string | undefined; context?: string | undefined } = {},
): Promise<NodeClusterAccess & { context: string; namespace?: string }> {
  const config = new KubeConfig();
  const where = options.path ?? 'the default kubeconfig';
  try {
    if (options.path) config.loadFromFile(options.path);
    else config.loadFromDefault();
  } catch (error) {
    throw new CredentialsError(`${where}: cannot read the kubeconfig: ${messageOf(error)}`, {
      cause: error,
      hint: 'pass --kubeconfig with a readable file',
    });
  }
  const name = options.context ?? config.getCurrentContext();
  const context = name ? config.getContextObject(name) : null;
  if (!context) {
    const known =
      config
        .getContexts()
        .map((c) => c.name)
        .join(', ') || 'none';
    throw new CredentialsError(`${where}: no context '${name ?? ''}' (contexts: ${known})`, {
      hint: 'pass --context with one of the listed contexts',
    });
  }
  config.setCurrentContext(context.name);
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new CredentialsError(`${where}: context ${context.name} names no known cluster`, {
      hint: "fix the context's cluster entry",
    });
  }
  // The library resolves CA, client certificate, tokens and exec plugins into HTTPS options.
  const https: RequestOptions = {};
  try {
    await config.applyToHTTPSOptions(https);
  } catch (error) {
    throw new CredentialsError(
      `${where}: context ${context.name}: cannot obtain credentials: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const headers = (https.headers ?? {}) as Record<string, string>;
  const authorization = headers.Authorization ?? headers.authorization;
  return {
    context: context.name,
    ...(context.namespace ? { namespace: context.namespace } : {}),
    server: cluster.server,
    caPem: pem(https.ca),
    certPem: pem(https.cert),
    keyPem: pem(https.key),
    ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
    ...(cluster.skipTLSVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(authorization ? { headers: { authorization } } : {}),
  };
}
