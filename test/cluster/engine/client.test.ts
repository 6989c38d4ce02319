import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { adminKube, configMap, freshNamespace } from './cluster.ts';

describe('KubeClient against a real API server', () => {
  it('discovers core, group and aggregated resources with their scope', async () => {
    const { client, requests } = adminKube();
    expect(await client.discover('apps', 'Deployment')).toMatchObject({
      resource: 'deployments',
      namespaced: true,
      version: 'v1',
    });
    expect(await client.discover('', 'Namespace')).toMatchObject({
      resource: 'namespaces',
      namespaced: false,
    });
    expect(await client.discover('rbac.authorization.k8s.io', 'ClusterRole')).toMatchObject({
      namespaced: false,
    });
    // Aggregated discovery: /api and /apis, then cached.
    expect(requests()).toBe(2);
  });

  it('creates with server-side apply, dry-runs without persisting, gets and lists by label', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kc');
    const dry = await client.apply(configMap('dry', { a: '1' }, ns), { dryRun: true });
    expect(dry.metadata.name).toBe('dry');
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'dry' }),
    ).toBeUndefined();
    const created = await client.apply({
      ...configMap('web', { a: '1' }, ns),
      metadata: { name: 'web', namespace: ns, labels: { tier: 'front' } },
    });
    expect(created.metadata.managedFields?.[0]?.manager).toBe('plumbline');
    const listed = await client.list(
      { group: '', kind: 'ConfigMap' },
      { namespace: ns, labelSelector: 'tier=front' },
    );
    expect(listed.items.map((o) => [o.kind, o.metadata.name])).toEqual([['ConfigMap', 'web']]);
  });

  it('reports a field manager conflict as a 409 naming the object, the field and the other manager', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kc');
    await client.apply(configMap('web', { a: '1' }, ns), { fieldManager: 'someone-else' });
    const error = await client.apply(configMap('web', { a: '2' }, ns)).catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(409);
    expect(error.reason).toBe('Conflict');
    expect(error.message).toMatch(
      new RegExp(`^ConfigMap ${ns}/web: apply failed \\(409 Conflict\\)`),
    );
    expect(error.message).toContain('someone-else');
    expect(error.message).toContain('.data.a');
    const forced = await client.apply(configMap('web', { a: '2' }, ns), { force: true });
    expect(forced.data).toEqual({ a: '2' });
  });

  it('deletes only when the preconditions still hold', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kc');
    const ref = { group: '', kind: 'ConfigMap', namespace: ns, name: 'web' };
    const created = await client.apply(configMap('web', { a: '1' }, ns));
    await client.apply(configMap('web', { a: '2' }, ns));
    const error = await client
      .delete(ref, { preconditions: { resourceVersion: created.metadata.resourceVersion } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(409);
    expect(await client.get(ref)).toBeDefined();
    expect(await client.delete(ref, { propagationPolicy: 'Background' })).toBe('deleted');
    expect(await client.delete(ref)).toBe('absent');
  });

  it('treats metadata.resourceVersion in an apply as a compare-and-swap', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kc');
    const created = await client.apply(configMap('web', { a: '1' }, ns));
    await client.apply(configMap('web', { a: '2' }, ns));
    const stale = configMap('web', { a: '3' }, ns);
    stale.metadata.resourceVersion = created.metadata.resourceVersion as string;
    const error = await client.apply(stale).catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(409);
  });

  it('refuses an invalid object with a 422 naming it', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'kc');
    const error = await client
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: ns } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(422);
    expect(error.message).toMatch(
      new RegExp(`^ConfigMap ${ns}/Bad_Name: apply failed \\(422 Invalid\\)`),
    );
  });
});
