import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import { PlanError } from '../../../lib/errors.ts';
import { applySetId, parentRef, withPartOf } from '../../../lib/inventory/applyset.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

const manifests = parseAllDocuments(`
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 2}
`).map((d) => d.toJSON() as KubeObject);

async function parentFor(groupKinds: string): Promise<KubeObject> {
  const id = await applySetId(parentRef('web', 'shop'));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'web',
      namespace: 'shop',
      labels: { 'applyset.kubernetes.io/id': id },
      annotations: {
        'applyset.kubernetes.io/tooling': 'plumbline/0.1.0',
        'applyset.kubernetes.io/contains-group-kinds': groupKinds,
      },
    },
  };
}

describe('planApp', () => {
  it('plans creations for a new app, defaulting the namespace and labelling members', async () => {
    const client = createFakeKubeClient();
    const plan = await planApp(
      { app: 'web', namespace: 'shop', objects: manifests, revision: 'c0ffee' },
      client,
    );
    expect(
      plan.entries.map((e) => `${e.action} ${e.ref.kind} ${e.ref.namespace}/${e.ref.name}`),
    ).toEqual(['create ConfigMap shop/web', 'create Deployment shop/web']);
    expect(plan.entries[0]?.diff).toContain('applyset.kubernetes.io/part-of: applyset-');
    expect(plan.summary).toEqual({
      create: 2,
      update: 0,
      unchanged: 0,
      delete: 0,
      errors: 0,
      drifted: 0,
    });
  });

  it('plans unchanged, update and delete against live members, and binds the digest to the objects and the live state, not the commit', async () => {
    const id = await applySetId(parentRef('web', 'shop'));
    const withNs = (o: KubeObject) =>
      withPartOf({ ...o, metadata: { ...o.metadata, namespace: 'shop' } }, id);
    const stale = withNs({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'old' },
      data: {},
    });
    const client = createFakeKubeClient([
      await parentFor('ConfigMap,Deployment.apps'),
      withNs(manifests[0] as KubeObject),
      withNs({ ...(manifests[1] as KubeObject), spec: { replicas: 1 } }),
      stale,
    ]);
    const input = { app: 'web', namespace: 'shop', objects: manifests, revision: 'c0ffee' };
    const plan = await planApp(input, client);
    expect(plan.entries.map((e) => `${e.action} ${e.ref.name} ${e.ref.kind}`)).toEqual([
      'unchanged web ConfigMap',
      'update web Deployment',
      'delete old ConfigMap',
    ]);
    expect(plan.entries[1]?.diff).toContain('-  replicas: 1\n+  replicas: 2');
    const again = await planApp(input, client);
    expect(again.digest).toBe(plan.digest);
    // The same objects at another commit (a merge of this head) plan to the same digest.
    expect((await planApp({ ...input, revision: 'beef' }, client)).digest).toBe(plan.digest);
    // Other rendered objects move the desired half.
    const changed = manifests.map((o, i) =>
      i === 0 ? { ...o, data: { greeting: 'hello, again' } } : o,
    );
    const base = await planApp({ ...input, objects: changed }, client);
    expect(base.digests.desired).not.toBe(plan.digests.desired);
    // A live change the apply would undo moves the live half.
    await client.apply(withNs({ ...(manifests[0] as KubeObject), data: { greeting: 'hi' } }));
    const moved = await planApp(input, client);
    expect(moved.digests.desired).toBe(plan.digests.desired);
    expect(moved.digests.live).not.toBe(plan.digests.live);
    expect(moved.digest).not.toBe(plan.digest);
  });

  it('keeps members marked plumbline.dev/prune: disabled', async () => {
    const id = await applySetId(parentRef('web', 'shop'));
    const kept = withPartOf(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'keep',
          namespace: 'shop',
          annotations: { 'plumbline.dev/prune': 'disabled' },
        },
      },
      id,
    );
    const client = createFakeKubeClient([await parentFor('ConfigMap'), kept]);
    const plan = await planApp(
      { app: 'web', namespace: 'shop', objects: [manifests[0] as KubeObject], revision: 'r' },
      client,
    );
    expect(plan.entries.find((e) => e.ref.name === 'keep')).toMatchObject({
      action: 'unchanged',
      note: expect.stringContaining('prune=disabled'),
    });
    expect(plan.summary.delete).toBe(0);
  });

  it('refuses duplicate objects, naming them', async () => {
    const client = createFakeKubeClient();
    const error = await planApp(
      {
        app: 'web',
        namespace: 'shop',
        objects: [manifests[0] as KubeObject, manifests[0] as KubeObject],
        revision: 'r',
      },
      client,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect(error.message).toBe('ConfigMap shop/web: appears twice in the rendered output');
    expect(client.objects.size).toBe(0);
  });
});
