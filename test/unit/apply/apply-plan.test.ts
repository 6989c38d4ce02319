import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { KubeError, PruneError } from '../../../lib/errors.ts';
import { createFakeKubeClient } from '../../../lib/kube/fake-client.ts';

const cm = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { name },
});
const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
const options = { holder: 'test', sleep: async () => {} };
const input = (objects: KubeObject[], revision = 'r1') => ({
  app: 'web',
  namespace: 'shop',
  objects,
  revision,
});
const summary = (entries: { action: string; ref: { kind: string; name: string } }[]) =>
  entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`);

describe('applyPlan', () => {
  it('applies the namespace first, records the set on the parent, and reports created then unchanged', async () => {
    const client = createFakeKubeClient();
    const first = await applyPlan(input([cm('a'), ns, cm('b')]), client, options);
    expect(first.ok).toBe(true);
    expect(summary(first.entries)).toEqual([
      'unchanged Namespace/shop',
      'created ConfigMap/a',
      'created ConfigMap/b',
    ]);
    const parent = client.objects.get('|Secret|shop|web');
    expect(parent?.metadata.annotations).toMatchObject({
      'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap,Namespace',
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/lease-holder': '',
    });
    const second = await applyPlan(input([cm('a'), ns, cm('b')], 'r2'), client, options);
    expect(summary(second.entries)).toEqual([
      'unchanged Namespace/shop',
      'unchanged ConfigMap/a',
      'unchanged ConfigMap/b',
    ]);
  });

  it('prunes members that left the set, last, and honours prune: disabled', async () => {
    const client = createFakeKubeClient();
    await applyPlan(
      input([
        ns,
        cm('a'),
        cm('b'),
        cm('keep', { annotations: { 'plumbline.dev/prune': 'disabled' } }),
        cm('c'),
      ]),
      client,
      options,
    );
    const result = await applyPlan(input([ns, cm('a'), cm('c')]), client, options);
    expect(result.ok).toBe(true);
    expect(summary(result.entries)).toEqual([
      'unchanged Namespace/shop',
      'unchanged ConfigMap/a',
      'unchanged ConfigMap/c',
      'skipped ConfigMap/keep',
      'deleted ConfigMap/b',
    ]);
    expect(client.objects.has('|ConfigMap|shop|b')).toBe(false);
    expect(client.objects.has('|ConfigMap|shop|keep')).toBe(true);
  });

  it('prunes nothing after a failure, and does not report the objects before it as failed', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('old')]), client, options);
    client.failWhen((verb, ref) =>
      verb === 'apply' && ref.name === 'b'
        ? new KubeError('ConfigMap shop/b: apply failed (403 Forbidden)', 403, 'Forbidden')
        : undefined,
    );
    const result = await applyPlan(
      input([ns, cm('a'), cm('b', { labels: { v: '2' } })], 'r2'),
      client,
      options,
    );
    expect(result.ok).toBe(false);
    expect(summary(result.entries)).toEqual([
      'unchanged Namespace/shop',
      'unchanged ConfigMap/a',
      'failed ConfigMap/b',
      'skipped ConfigMap/old',
    ]);
    expect(result.entries.at(-1)?.error).toBe('not pruned: an earlier step failed');
    expect(result.errors).toEqual(['ConfigMap shop/b: apply failed (403 Forbidden)']);
    expect(client.objects.has('|ConfigMap|shop|old')).toBe(true);
    expect(
      client.objects.get('|Secret|shop|web')?.metadata.annotations?.['plumbline.dev/revision'],
    ).toBe('r1');
  });

  it('prunes nothing when the members of the set cannot be listed, and records no revision', async () => {
    const forbidden = new KubeError('configmaps is forbidden: list', 403, 'Forbidden');
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('c')]), client, options);
    const unchanged = () => {
      expect(client.objects.has('|ConfigMap|shop|c')).toBe(true);
      expect(client.calls.some((call) => call.startsWith('delete'))).toBe(false);
      expect(client.objects.get('|Secret|shop|web')?.metadata.annotations).toMatchObject({
        'plumbline.dev/revision': 'r1',
      });
    };

    // Listing fails before anything is applied: the apply stops there.
    client.failWhen((verb, ref) =>
      verb === 'list' && ref.kind === 'ConfigMap' ? forbidden : undefined,
    );
    await expect(applyPlan(input([ns, cm('a'), cm('b')], 'r2'), client, options)).rejects.toThrow(
      'configmaps is forbidden',
    );
    unchanged();

    // Listing fails only when pruning is about to start: applied objects are reported, the
    // prune is refused, and the revision stays.
    let configMapLists = 0;
    client.failWhen((verb, ref) =>
      verb === 'list' && ref.kind === 'ConfigMap' && ++configMapLists > 1 ? forbidden : undefined,
    );
    const result = await applyPlan(input([ns, cm('a'), cm('b')], 'r3'), client, options);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain("cannot list the set's members");
    unchanged();
  });

  it('refuses to prune more than half of the set without opt-in', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('c')]), client, options);
    const refused = await applyPlan(input([ns]), client, options);
    expect(refused.ok).toBe(false);
    expect(refused.errors[0]).toContain('3 of 4 members would be pruned');
    expect(client.objects.has('|ConfigMap|shop|a')).toBe(true);
    const allowed = await applyPlan(input([ns]), client, { ...options, allowMassPrune: true });
    expect(allowed.ok).toBe(true);
    expect(client.objects.has('|ConfigMap|shop|a')).toBe(false);
  });

  it('refuses an empty desired set without opt-in, before touching anything', async () => {
    const client = createFakeKubeClient();
    const error = await applyPlan(input([]), client, options).catch((e) => e);
    expect(error).toBeInstanceOf(PruneError);
    expect(error.message).toContain('web: the app renders no objects');
    expect(client.calls).toEqual([]);
  });
});
