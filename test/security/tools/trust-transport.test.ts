/**
 * The Node cluster transport against an attacker's HTTPS listener (finding 2's second half,
 * and finding 6): no TLS option is read through a prototype, a polluted process sends no
 * credential at all, a host name resolving to a metadata address gets nothing, and a
 * kubeconfig context cannot point a binding at another server.
 */

import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  linkLocalRefusingLookup,
  type NodeClusterAccess,
  nodeKubeFetch,
} from '../../../functions/node/kube-transport.ts';
import { nodeFlowDeps } from '../../../functions/node/reconciler.ts';
import type { KubernetesTarget } from '../../../lib/config/target-binding.ts';
import { CredentialsError } from '../../../lib/errors.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { type AttackerServer, startAttackerServer } from '../attacker-server.ts';

const OTHER_CA = readFileSync(new URL('../../fixtures/config/ca.pem', import.meta.url), 'utf8');
let attacker: AttackerServer;

beforeAll(async () => {
  attacker = await startAttackerServer();
});

afterAll(async () => {
  await attacker?.close();
});

/** Runs `body` with `Object.prototype` polluted by `values`, restoring it afterwards. */
async function polluted<T>(values: Record<string, unknown>, body: () => Promise<T>): Promise<T> {
  const proto = Object.prototype as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) proto[key] = value;
  try {
    return await body();
  } finally {
    for (const key of Object.keys(values)) delete proto[key];
  }
}

async function outcome(fetcher: typeof fetch): Promise<string> {
  try {
    const response = await fetcher(`${attacker.url}/api`, {
      headers: { authorization: 'Bearer the-cluster-token' },
    });
    return `answered ${response.status}`;
  } catch (error) {
    return error instanceof CredentialsError ? 'refused' : 'failed';
  }
}

describe('the Node cluster transport', () => {
  it('verifies the server against the bound CA only', async () => {
    expect(await outcome(nodeKubeFetch({ server: attacker.url, caPem: OTHER_CA }))).toBe('failed');
    expect(attacker.requests).toEqual([]);
  });

  it('reads no TLS option through a prototype', async () => {
    // Options inherited from a prototype (what a pollution would add) are ignored.
    const access = Object.create({
      insecureSkipTlsVerify: true,
      caPem: attacker.caPem,
      allowLinkLocal: true,
    }) as NodeClusterAccess;
    access.server = attacker.url;
    expect(await outcome(nodeKubeFetch(access))).toBe('failed');
    expect(attacker.requests).toEqual([]);
  });

  it('sends nothing from a process whose Object.prototype was polluted', async () => {
    const fetcher = nodeKubeFetch({ server: attacker.url, caPem: OTHER_CA });
    const result = await polluted(
      { rejectUnauthorized: false, insecureSkipTlsVerify: true, ca: attacker.caPem },
      () => outcome(fetcher),
    );
    expect(result).toBe('refused');
    expect(attacker.requests).toEqual([]);
    // Restored, the same transport works as before (and still verifies).
    expect(await outcome(fetcher)).toBe('failed');
  });

  it('refuses a host name that resolves to a link-local or metadata address', async () => {
    const resolving =
      (address: string) =>
      (
        _host: string,
        _options: object,
        callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
      ) =>
        callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
    const ask = (address: string) =>
      new Promise<string>((resolve) =>
        linkLocalRefusingLookup(resolving(address))('k8s.example.com', {}, (error, answer) =>
          resolve(
            error ? `${(error as NodeJS.ErrnoException).code}: ${error.message}` : String(answer),
          ),
        ),
      );
    expect(await ask('169.254.169.254')).toMatch(
      /^EACCES: k8s.example.com resolves to the link-local/,
    );
    expect(await ask('fd00:ec2::254')).toMatch(/^EACCES/);
    expect(await ask('10.0.0.7')).toBe('10.0.0.7');
  });

  it("refuses a kubeconfig context whose server is not the binding's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-kubeconfig-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${attacker.url}"}}]`,
        'users: [{name: u, user: {token: the-kubeconfig-token}}]',
        'contexts: [{name: admin, context: {cluster: c, user: u}}]',
        'current-context: admin',
        '',
      ].join('\n'),
    );
    const deps = nodeFlowDeps({ kubeconfig })({
      registry: new StaticRepoRegistry([]),
      gitHostFor: () => new MemoryGitHost(),
      targets: [],
      secrets: new MemorySecretStore({}),
      logger: new MemoryLogger(),
    });
    const target: KubernetesTarget = {
      kind: 'kubernetes',
      name: 'local',
      server: 'https://k8s.example.com',
      credentials: { kind: 'kubeconfig', context: 'admin' },
      repositories: ['*'],
      namespaces: ['*'],
      clusterResources: true,
      allowLinkLocal: false,
    };
    await expect(deps.clusters.clientFor(target)).rejects.toThrow(
      "target local: kubeconfig context admin points at another server than the binding's",
    );
    expect(attacker.requests).toEqual([]);
  });
});
