/**
 * Helpers for the engine's tests against the shared real cluster: clients as admin or with a
 * bearer token, a request-counting transport, a fresh namespace per test, and kubectl.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { nodeKubeFetch } from '../../../functions/node/kube-transport.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { leaseRef } from '../../../lib/inventory/lease.ts';
import { createKubeClient, type KubeClient } from '../../../lib/kube/client.ts';
import { uniqueName } from '../../env/admin.ts';
import { binary } from '../../env/paths.ts';

const run = promisify(execFile);

/** The shared cluster. */
export const cluster = inject('cluster');

/** A client as admin (client certificate), counting requests. */
export function adminKube(): { client: KubeClient; requests: () => number } {
  let count = 0;
  const base = nodeKubeFetch({
    server: cluster.server,
    caPem: cluster.caPem,
    certPem: cluster.admin.certPem,
    keyPem: cluster.admin.keyPem,
  });
  const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
    count++;
    return base(input, init);
  }) as typeof fetch;
  return {
    client: createKubeClient({ server: cluster.server, fetch: counting }),
    requests: () => count,
  };
}

/** A client authenticating with a bearer token. */
export function tokenKube(token: string): KubeClient {
  return createKubeClient({
    server: cluster.server,
    fetch: nodeKubeFetch({ server: cluster.server, caPem: cluster.caPem }),
    headers: { authorization: `Bearer ${token}` },
  });
}

/** The spec of an app's Lease (`{}` when it has none). */
export async function leaseSpec(
  client: KubeClient,
  app: string,
  namespace: string,
): Promise<{ holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number }> {
  return ((await client.get(leaseRef(app, namespace)))?.spec ?? {}) as Record<string, never>;
}

/** Creates a namespace with a unique name and returns it. */
export async function freshNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { fieldManager: 'test-setup' },
  );
  return name;
}

/** Runs the kubectl of the same release as admin; resolves with stdout, rejects on failure. */
export async function kubectl(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(binary('kubectl'), ['--kubeconfig', cluster.kubeconfig, ...args], {
    env: { ...process.env, ...env },
  });
  return stdout;
}

/** A ConfigMap manifest. */
export function configMap(
  name: string,
  data: Record<string, string>,
  namespace?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    data,
  };
}

/** A Deployment manifest that KWOK makes Available. */
export function deployment(name: string, replicas: number, image = 'nginx:1.27'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
  };
}
