import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/apply/apply.ts';
import { detectDrift, healDrift } from '../../../lib/drift/drift.ts';
import { readInventory } from '../../../lib/inventory/applyset.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { adminKube, configMap, deployment, freshNamespace, kubectl } from './cluster.ts';

describe('drift against a real API server', () => {
  it('finds drift made with kubectl scale and kubectl patch, attributed to their field managers, and heals it', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'drift');
    const input = {
      app: 'web',
      namespace: ns,
      objects: [deployment('web', 2), configMap('conf', { level: 'info' })],
      revision: 'r1',
    };
    expect((await applyPlan(input, client, { holder: 't' })).ok).toBe(true);
    expect((await detectDrift(input, client)).inSync).toBe(true);

    await kubectl(['scale', '-n', ns, 'deployment/web', '--replicas=5']);
    await kubectl([
      'patch',
      '-n',
      ns,
      'configmap/conf',
      '--field-manager=kubectl-edit',
      '--type=merge',
      '-p',
      '{"data":{"level":"debug"}}',
    ]);
    const report = await detectDrift(input, client);
    expect(report.inSync).toBe(false);
    const byName = Object.fromEntries(report.drifted.map((d) => [d.ref.name, d.fields]));
    // kubectl scale writes through the scale subresource as manager `kubectl`.
    expect(byName.web).toEqual([{ path: 'spec.replicas', managers: ['kubectl (scale)'] }]);
    expect(byName.conf).toEqual([{ path: 'data.level', managers: ['kubectl-edit'] }]);
    expect(report.drifted.find((d) => d.ref.name === 'conf')?.diff).toContain(
      '-  level: debug\n+  level: info',
    );

    // A plan shows the same attribution for the changes it would undo.
    const plan = await planApp(input, client);
    expect(plan.entries.find((e) => e.ref.name === 'conf')?.changedBy).toEqual([
      { path: 'data.level', managers: ['kubectl-edit'] },
    ]);

    const healed = await healDrift(input, report, client, { holder: 't' });
    expect(healed.ok).toBe(true);
    expect(healed.entries.map((e) => `${e.action} ${e.ref.name}`).sort()).toEqual([
      'configured conf',
      'configured web',
    ]);
    expect((await detectDrift(input, client)).inSync).toBe(true);
    // The heal is recorded on the parent, under the lease, with the app's set.
    const inventory = await readInventory(client, 'web', ns);
    expect(inventory.live?.metadata.annotations?.['plumbline.dev/healed-at']).toMatch(/^\d{4}-/);
    expect(inventory.groupKinds).toEqual(['ConfigMap', 'Deployment.apps']);
  });

  it('reports missing members and objects that joined the set from elsewhere', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'drift');
    const input = {
      app: 'web',
      namespace: ns,
      objects: [configMap('a', { v: '1' }), configMap('b', { v: '1' })],
      revision: 'r1',
    };
    await applyPlan(input, client, { holder: 't' });
    const inv = await readInventory(client, 'web', ns);
    await kubectl(['delete', '-n', ns, 'configmap/b']);
    await client.apply(
      {
        ...configMap('stray', { v: '1' }, ns),
        metadata: {
          name: 'stray',
          namespace: ns,
          labels: { 'applyset.kubernetes.io/part-of': inv.id },
        },
      },
      { fieldManager: 'someone' },
    );
    const report = await detectDrift(input, client);
    expect(report.missing.map((r) => r.name)).toEqual(['b']);
    expect(report.extra.map((r) => r.name)).toEqual(['stray']);
    const healed = await healDrift(input, report, client, { holder: 't' });
    expect(healed.entries.map((e) => `${e.action} ${e.ref.name}`)).toEqual(['created b']);
  });

  it('checks an app without drift in K+1 requests for K group-kinds, dry-running nothing', async () => {
    const { client, requests } = adminKube();
    const ns = await freshNamespace(client, 'drift');
    const objects = [
      deployment('web', 1),
      configMap('a', { v: '1' }),
      configMap('b', { v: '2' }),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ port: 80 }], selector: { app: 'web' } },
      },
    ];
    const input = { app: 'web', namespace: ns, objects, revision: 'r1' };
    await applyPlan(input, client, { holder: 't' });
    await detectDrift(input, client); // warms discovery
    const before = requests();
    const report = await detectDrift(input, client);
    expect(report.inSync).toBe(true);
    expect(requests() - before).toBe(3 + 1);
  });
});
