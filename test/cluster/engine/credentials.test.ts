import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { nodeKubeFetch } from '../../../functions/node/kube-transport.ts';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { tokenRequestCredentials } from '../../../lib/credentials/token-request.ts';
import { KubeError } from '../../../lib/errors.ts';
import { parentRef } from '../../../lib/inventory/applyset.ts';
import { createKubeClient } from '../../../lib/kube/client.ts';
import { adminKube, cluster, configMap, freshNamespace, tokenKube } from './cluster.ts';

const rbacDir = join(import.meta.dirname, '../../../infra/rbac');
const load = (file: string, ns?: string): KubeObject[] =>
  parseAllDocuments(
    readFileSync(join(rbacDir, file), 'utf8').replaceAll('APP_NAMESPACE', ns ?? 'APP_NAMESPACE'),
  ).map((d) => d.toJSON() as KubeObject);

describe('short-lived credentials and least-privilege RBAC on a real API server', () => {
  const { client: admin } = adminKube();
  let appNs = '';
  let otherNs = '';
  let bootstrapToken = '';

  beforeAll(async () => {
    for (const object of [...load('bootstrap.yaml'), ...load('deployer.yaml')])
      await admin.apply(object, { fieldManager: 'test-setup', force: true });
    appNs = await freshNamespace(admin, 'rbac-app');
    otherNs = await freshNamespace(admin, 'rbac-other');
    for (const object of load('app-namespace-binding.yaml', appNs))
      await admin.apply(object, { fieldManager: 'test-setup' });
    // The runtime's only stored credential: a token for the bootstrap ServiceAccount.
    bootstrapToken = (
      await admin.createToken('plumbline-system', 'plumbline-bootstrap', { expirationSeconds: 600 })
    ).token;
  });

  it('lets the bootstrap account mint deployer tokens but not read Secrets', async () => {
    const bootstrap = tokenKube(bootstrapToken);
    const minted = await bootstrap.createToken('plumbline-system', 'plumbline-deployer', {
      expirationSeconds: 600,
    });
    const lifetime = Date.parse(minted.expirationTimestamp) - Date.now();
    expect(lifetime).toBeGreaterThan(8 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000 + 5_000);
    const read = await bootstrap
      .list({ group: '', kind: 'Secret' }, { namespace: 'plumbline-system' })
      .catch((e) => e);
    expect(read).toBeInstanceOf(KubeError);
    expect(read.status).toBe(403);
    const other = await bootstrap
      .createToken('plumbline-system', 'plumbline-bootstrap')
      .catch((e) => e);
    expect(other).toBeInstanceOf(KubeError);
    expect(other.status).toBe(403);
  });

  it('applies with a minted deployer token reused across requests, in its namespace only', async () => {
    const source = tokenRequestCredentials({
      bootstrap: tokenKube(bootstrapToken),
      namespace: 'plumbline-system',
      serviceAccount: 'plumbline-deployer',
    });
    let mints = 0;
    const deployer = createKubeClient({
      server: cluster.server,
      fetch: nodeKubeFetch({ server: cluster.server, caPem: cluster.caPem }),
      headers: async () => {
        mints++;
        return source.headers();
      },
    });
    const first = await source.token();
    const result = await applyPlan(
      { app: 'shop', namespace: appNs, objects: [configMap('a', { v: '1' })], revision: 'r1' },
      deployer,
      { holder: 'deployer' },
    );
    expect(result.errors).toEqual([]);
    expect(await source.token()).toBe(first);
    expect(mints).toBeGreaterThan(3);
    const denied = await deployer.apply(configMap('x', { v: '1' }, otherNs)).catch((e) => e);
    expect(denied).toBeInstanceOf(KubeError);
    expect(denied.status).toBe(403);
    expect(denied.message).toMatch(
      new RegExp(`^ConfigMap ${otherNs}/x: apply failed \\(403 Forbidden\\)`),
    );
    expect(denied.message).not.toContain(first);
  });

  it('reports an object refused by RBAC, not the ones before it, and prunes nothing', async () => {
    const deployer = tokenKube(
      (await admin.createToken('plumbline-system', 'plumbline-deployer')).token,
    );
    const input = {
      app: 'mixed',
      namespace: appNs,
      revision: 'r1',
      objects: [
        configMap('a', { v: '1' }),
        configMap('b', { v: '1' }),
        configMap('old', { v: '1' }),
      ],
    };
    expect((await applyPlan(input, deployer, { holder: 'deployer' })).ok).toBe(true);
    const next = {
      ...input,
      revision: 'r2',
      objects: [
        configMap('a', { v: '2' }),
        configMap('b', { v: '1' }),
        // A kind the deployer may not touch.
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'sneaky' },
          rules: [],
        },
      ],
    };
    const result = await applyPlan(next, deployer, { holder: 'deployer' });
    expect(result.ok).toBe(false);
    const byName = Object.fromEntries(result.entries.map((e) => [e.ref.name, e]));
    expect(byName.a?.action).toBe('configured');
    expect(byName.b?.action).toBe('unchanged');
    expect(byName.sneaky?.action).toBe('failed');
    expect(byName.sneaky?.error?.message).toMatch(
      new RegExp(
        `^Role.rbac.authorization.k8s.io ${appNs}/sneaky: (get|apply) failed \\(403 Forbidden\\)`,
      ),
    );
    expect(byName.old).toMatchObject({
      action: 'skipped',
      reason: 'not pruned: an earlier step failed',
    });
    expect(
      await admin.get({ group: '', kind: 'ConfigMap', namespace: appNs, name: 'old' }),
    ).toBeDefined();
    const parent = await admin.get(parentRef('mixed', appNs));
    expect(parent?.metadata.annotations).toMatchObject({
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/failed': 'apply',
    });
  });
});
