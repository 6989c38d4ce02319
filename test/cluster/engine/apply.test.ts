import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { ApplyError, HealthError, LeaseError } from '../../../lib/errors.ts';
import { applySetId, parentRef } from '../../../lib/inventory/applyset.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { uniqueName } from '../../env/admin.ts';
import { adminKube, configMap, deployment, freshNamespace, kubectl, leaseSpec } from './cluster.ts';

const holder = 'cluster-test';
const summary = (entries: { action: string; ref: { kind: string; name: string } }[]) =>
  entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`);

describe('applyPlan against a real API server', () => {
  it('creates, updates, leaves alone and prunes, keeping the ApplySet parent current', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'apply');
    const input = (objects: KubeObject[], revision: string) => ({
      app: 'shop',
      namespace: ns,
      objects,
      revision,
    });

    const v1 = input(
      [configMap('a', { v: '1' }), configMap('b', { v: '1' }), configMap('c', { v: '1' })],
      'rev1',
    );
    const plan1 = await planApp(v1, client);
    expect(plan1.summary).toMatchObject({ create: 3, update: 0, delete: 0 });
    const first = await applyPlan({ ...v1, plan: plan1 }, client, { holder });
    expect(first.ok).toBe(true);
    expect(summary(first.entries)).toEqual([
      'created ConfigMap/a',
      'created ConfigMap/b',
      'created ConfigMap/c',
    ]);

    const v2 = input([configMap('a', { v: '2' }), configMap('b', { v: '1' })], 'rev2');
    const plan2 = await planApp(v2, client);
    expect(plan2.entries.map((e) => `${e.action} ${e.ref.name}`)).toEqual([
      'update a',
      'unchanged b',
      'delete c',
    ]);
    expect(plan2.entries[0]?.diff).toContain('-  v: "1"\n+  v: "2"');
    const second = await applyPlan({ ...v2, plan: plan2 }, client, { holder });
    expect(summary(second.entries)).toEqual([
      'configured ConfigMap/a',
      'unchanged ConfigMap/b',
      'deleted ConfigMap/c',
    ]);
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'c' }),
    ).toBeUndefined();

    const plan3 = await planApp(v2, client);
    expect(plan3.summary).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 2 });

    const parent = await client.get(parentRef('shop', ns));
    expect(parent?.metadata.labels?.['applyset.kubernetes.io/id']).toBe(
      await applySetId(parentRef('shop', ns)),
    );
    expect(parent?.metadata.annotations).toMatchObject({
      'applyset.kubernetes.io/tooling': 'plumbline/0.1.0',
      'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap',
      'plumbline.dev/revision': 'rev2',
    });
    // The lease is a coordination.k8s.io Lease beside the parent, free after the run.
    const lease = await leaseSpec(client, 'shop', ns);
    expect(lease).toMatchObject({ leaseDurationSeconds: 1, leaseTransitions: 1 });
    expect(lease.holderIdentity).toBeUndefined();
    const a = await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'a' });
    expect(a?.metadata.labels?.['applyset.kubernetes.io/part-of']).toBe(
      parent?.metadata.labels?.['applyset.kubernetes.io/id'],
    );
  });

  it('is recognized by kubectl as an ApplySet managed by another tool', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kubectl');
    const result = await applyPlan(
      { app: 'shop', namespace: ns, objects: [configMap('a', { v: '1' })], revision: 'r' },
      client,
      { holder },
    );
    expect(result.ok).toBe(true);
    const id = await applySetId(parentRef('shop', ns));
    // kubectl finds the members by the part-of label Plumbline wrote.
    const members = await kubectl([
      'get',
      'configmaps',
      '-n',
      ns,
      '-l',
      `applyset.kubernetes.io/part-of=${id}`,
      '-o',
      'name',
    ]);
    expect(members.trim()).toBe('configmap/a');
    const file = join(mkdtempSync(join(tmpdir(), 'applyset-')), 'cm.yaml');
    writeFileSync(file, stringify(configMap('a', { v: '2' }, ns)));
    // kubectl reads the parent, checks the id and refuses to take over another tool's set.
    const error = await kubectl(
      [
        'apply',
        '-n',
        ns,
        '--prune',
        '--applyset=secret/shop',
        '--server-side',
        '--dry-run=server',
        '-f',
        file,
      ],
      { KUBECTL_APPLYSET: 'true' },
    ).catch((e: { stderr?: string }) => e);
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    expect(stderr).toContain('is managed by tooling "plumbline" instead of "kubectl"');
  });

  it('applies a CRD and its custom resources in one apply, waiting for the CRD', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'crd');
    const group = `${uniqueName('g')}.example.com`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    const widget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 3 },
    };
    const input = { app: 'widgets', namespace: ns, objects: [widget, crd], revision: 'r1' };
    const plan = await planApp(input, client);
    expect(plan.entries.find((e) => e.ref.kind === 'Widget')).toMatchObject({
      action: 'create',
      note: 'its CRD is created by this apply',
    });
    const result = await applyPlan({ ...input, plan }, client, { holder });
    expect(result.errors).toEqual([]);
    expect(summary(result.entries)).toEqual([
      `created CustomResourceDefinition/widgets.${group}`,
      'created Widget/w1',
    ]);
    const live = await client.get({ group, kind: 'Widget', namespace: ns, name: 'w1' });
    expect(live?.spec).toEqual({ size: 3 });
    await client.delete({
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      namespace: '',
      name: `widgets.${group}`,
    });
  });

  it('takes back the fields Git declares from another manager, and with failOnConflict fails and prunes nothing', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'conflict');
    const base = { app: 'shop', namespace: ns, revision: 'r1' };
    const objects = [configMap('a', { v: '1' }), configMap('b', { v: 'ours' })];
    await applyPlan({ ...base, objects: [...objects, configMap('old', { v: '1' })] }, client, {
      holder,
    });
    const takeOver = () =>
      client.apply(configMap('b', { v: 'theirs', extra: 'kept' }, ns), {
        fieldManager: 'someone-else',
        force: true,
      });
    await takeOver();
    const refused = await applyPlan({ ...base, revision: 'r2', objects }, client, {
      holder,
      failOnConflict: true,
    });
    expect(refused.ok).toBe(false);
    expect(summary(refused.entries)).toEqual([
      'unchanged ConfigMap/a',
      'failed ConfigMap/b',
      'skipped ConfigMap/old',
    ]);
    expect(refused.errors[0]).toBeInstanceOf(ApplyError);
    expect(refused.errors[0]?.message).toMatch(/409 Conflict.*someone-else/);
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'old' }),
    ).toBeDefined();
    const parent = await client.get(parentRef('shop', ns));
    expect(parent?.metadata.annotations).toMatchObject({
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/failed': 'apply',
    });

    // By default the declared field is taken back; the field Git does not declare stays.
    const taken = await applyPlan({ ...base, revision: 'r3', objects }, client, { holder });
    expect(taken.ok).toBe(true);
    expect(summary(taken.entries)).toEqual([
      'unchanged ConfigMap/a',
      'configured ConfigMap/b',
      'deleted ConfigMap/old',
    ]);
    const b = await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'b' });
    expect(b?.data).toEqual({ v: 'ours', extra: 'kept' });
  });

  it('never interleaves two concurrent applies of one app: the second fails naming the holder', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'lease');
    const objects = Array.from({ length: 15 }, (_, i) => configMap(`cm-${i}`, { v: '1' }));
    const input = { app: 'shop', namespace: ns, objects, revision: 'r1' };
    await applyPlan(input, client, { holder: 'seed' });
    const results = await Promise.allSettled([
      applyPlan({ ...input, revision: 'r2' }, client, { holder: 'first', lease: { waitMs: 0 } }),
      applyPlan({ ...input, revision: 'r3' }, client, { holder: 'second', lease: { waitMs: 0 } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(LeaseError);
    expect(lost[0]?.reason.message).toMatch(
      new RegExp(
        `^Lease.coordination.k8s.io ${ns}/plumbline-shop: the app is being applied by (first|second)#`,
      ),
    );
  });

  it('lets a second apply wait for the first one, which renews its lease meanwhile', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'lease');
    const input = {
      app: 'shop',
      namespace: ns,
      objects: [configMap('a', { v: '1' })],
      revision: 'r1',
    };
    const [a, b] = await Promise.all([
      applyPlan(input, client, { holder: 'first', lease: { waitMs: 30_000, durationSeconds: 2 } }),
      applyPlan({ ...input, revision: 'r2' }, client, {
        holder: 'second',
        lease: { waitMs: 30_000, durationSeconds: 2 },
      }),
    ]);
    expect(a.ok && b.ok).toBe(true);
    // One ran after the other: the parent records the revision of the one that finished last.
    const later = [a, b].sort((x, y) => x.finishedAt.localeCompare(y.finishedAt))[1];
    const parent = await client.get(parentRef('shop', ns));
    expect(parent?.metadata.annotations?.['plumbline.dev/revision']).toBe(later?.revision);
    const lease = await leaseSpec(client, 'shop', ns);
    expect(lease.holderIdentity).toBeUndefined();
    expect(lease.leaseTransitions).toBe(1);
  });

  it('waits for Deployments to become available on KWOK', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'health');
    const result = await applyPlan(
      { app: 'web', namespace: ns, objects: [deployment('web', 2)], revision: 'r1' },
      client,
      { holder, health: { timeoutMs: 90_000, pollMs: 500 } },
    );
    expect(result.errors).toEqual([]);
    expect(result.entries[0]).toMatchObject({
      action: 'created',
      health: { state: 'healthy', message: '2 of 2 available' },
    });
  });

  it('reports a rollout that does not finish in time', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'health');
    const stuck = deployment('stuck', 1);
    (stuck.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = {
      nowhere: 'true',
    };
    const result = await applyPlan(
      { app: 'web', namespace: ns, objects: [stuck], revision: 'r1' },
      client,
      {
        holder,
        health: { timeoutMs: 3_000, pollMs: 500 },
      },
    );
    expect(result.ok).toBe(false);
    expect(result.entries[0]?.health?.state).toBe('progressing');
    expect(result.errors[0]).toBeInstanceOf(HealthError);
    expect(result.errors[0]?.message).toMatch(
      new RegExp(`^Deployment.apps ${ns}/stuck: not ready in time`),
    );
    // Marked failed: the next push or sweep tries again.
    const parent = await client.get(parentRef('web', ns));
    expect(parent?.metadata.annotations).toMatchObject({
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/failed': 'health',
    });
  });
});
