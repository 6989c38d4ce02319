import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/apply/apply.ts';
import { applyRanks } from '../../../lib/apply/order.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { ApplyError, KubeError, LeaseError, PruneError } from '../../../lib/errors.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

const cm = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { name },
});
const sa = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name },
});
const deploy = (name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas: 1 },
});
const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
const options = { holder: 'test', sleep: async () => {} };
const input = (objects: KubeObject[], revision = 'r1') => ({
  app: 'web',
  namespace: 'shop',
  objects,
  revision,
  digest: `sha256:${revision.padEnd(64, '0')}`,
});
const summary = (entries: { action: string; ref: { kind: string; name: string } }[]) =>
  entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`);
const parentOf = (client: ReturnType<typeof createFakeKubeClient>) =>
  client.objects.get('|Secret|shop|web')?.metadata.annotations ?? {};

describe('applyPlan', () => {
  it('applies the namespace first, records the set on the parent, and reports created then unchanged', async () => {
    const client = createFakeKubeClient();
    const first = await applyPlan(input([cm('a'), ns, cm('b')]), client, options);
    expect(first.ok).toBe(true);
    expect(summary(first.entries)).toEqual([
      'created Namespace/shop',
      'created ConfigMap/a',
      'created ConfigMap/b',
    ]);
    expect(parentOf(client)).toMatchObject({
      'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap,Namespace',
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/digest': first.digest,
    });
    expect(first.lease).toMatchObject({
      identity: expect.stringMatching(/^test#/),
      released: true,
    });
    const second = await applyPlan(input([cm('a'), ns, cm('b')], 'r2'), client, options);
    expect(summary(second.entries)).toEqual([
      'unchanged Namespace/shop',
      'unchanged ConfigMap/a',
      'unchanged ConfigMap/b',
    ]);
  });

  it('takes the lease before anything else is written', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([cm('a')]), client, options);
    const writes = client.calls.filter((c) => /^(create|apply|replace|delete) /.test(c));
    expect(writes[0]).toBe('create Lease.coordination.k8s.io shop/plumbline-web');
  });

  it('creates only a bare home namespace before the lease, when the app brings it and it is missing', async () => {
    const client = createFakeKubeClient();
    let exists = false;
    client.failWhen((verb, ref) => {
      if (verb === 'create' && ref.kind === 'Namespace') exists = true;
      return verb === 'create' && ref.kind === 'Lease' && !exists
        ? new KubeError('namespaces "shop" not found', 404, 'NotFound')
        : undefined;
    });
    const result = await applyPlan(input([ns, cm('a')]), client, options);
    const writes = client.calls.filter((c) => /^(create|apply|replace|delete) /.test(c));
    expect(writes.slice(0, 3)).toEqual([
      'create Lease.coordination.k8s.io shop/plumbline-web',
      'create Namespace shop',
      'create Lease.coordination.k8s.io shop/plumbline-web',
    ]);
    expect(summary(result.entries)).toEqual(['created Namespace/shop', 'created ConfigMap/a']);
  });

  it('refuses to start when the app namespace is missing and the app does not create it', async () => {
    const client = createFakeKubeClient();
    client.failWhen((verb, ref) =>
      verb === 'create' && ref.kind === 'Lease'
        ? new KubeError('namespaces "shop" not found', 404, 'NotFound')
        : undefined,
    );
    const error = await applyPlan(input([cm('a')]), client, options).catch((e) => e);
    expect(error).toBeInstanceOf(ApplyError);
    expect(error.message).toBe('Namespace shop: does not exist, and the app does not create it');
    expect(client.calls.filter((c) => c.startsWith('apply'))).toEqual([]);
  });

  it('applies one kind at a time in kind order, the objects of one kind concurrently', async () => {
    const client = createFakeKubeClient();
    const log: string[] = [];
    const apply = client.apply.bind(client);
    client.apply = async (object, opts) => {
      if (object.kind === 'Secret') return apply(object, opts);
      log.push(`start ${object.kind}/${object.metadata.name}`);
      await new Promise((r) => setTimeout(r, object.metadata.name === 'slow' ? 30 : 1));
      log.push(`end ${object.kind}/${object.metadata.name}`);
      return apply(object, opts);
    };
    const result = await applyPlan(
      input([deploy('web'), cm('slow'), sa('runner'), cm('fast')]),
      client,
      options,
    );
    expect(result.ok).toBe(true);
    const at = (event: string) => log.indexOf(event);
    // ServiceAccounts, then ConfigMaps (both at once), then Deployments.
    expect(at('end ServiceAccount/runner')).toBeLessThan(at('start ConfigMap/slow'));
    expect(at('start ConfigMap/fast')).toBeLessThan(at('end ConfigMap/slow'));
    expect(at('end ConfigMap/slow')).toBeLessThan(at('start Deployment/web'));
    expect(summary(result.entries)).toEqual([
      'created ServiceAccount/runner',
      'created ConfigMap/slow',
      'created ConfigMap/fast',
      'created Deployment/web',
    ]);
  });

  it('ranks custom kinds last, each where it first appears', () => {
    const ranks = applyRanks([
      { kind: 'Widget' },
      { kind: 'ConfigMap' },
      { kind: 'Gadget' },
      { kind: 'Widget' },
    ]);
    expect(ranks.map((r) => r.map((o) => o.kind))).toEqual([
      ['ConfigMap'],
      ['Widget', 'Widget'],
      ['Gadget'],
    ]);
  });

  it('prunes members that left the set, last and in reverse order, and honours prune: disabled', async () => {
    const client = createFakeKubeClient();
    await applyPlan(
      input([
        ns,
        sa('old-sa'),
        cm('a'),
        cm('b'),
        cm('keep', { annotations: { 'plumbline.dev/prune': 'disabled' } }),
        cm('c'),
        deploy('old'),
      ]),
      client,
      options,
    );
    const result = await applyPlan(input([ns, cm('a'), cm('c')]), client, {
      ...options,
      allowMassPrune: true,
    });
    expect(result.ok).toBe(true);
    expect(summary(result.entries)).toEqual([
      'unchanged Namespace/shop',
      'unchanged ConfigMap/a',
      'unchanged ConfigMap/c',
      'deleted Deployment/old',
      'skipped ConfigMap/keep',
      'deleted ConfigMap/b',
      'deleted ServiceAccount/old-sa',
    ]);
    expect(client.objects.has('|ConfigMap|shop|b')).toBe(false);
    expect(client.objects.has('|ConfigMap|shop|keep')).toBe(true);
  });

  it('prunes nothing after a failure, keeps the last good record and marks the run failed', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('old')]), client, options);
    const good = parentOf(client)['plumbline.dev/digest'];
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
    expect(result.entries.at(-1)?.reason).toBe('not pruned: an earlier step failed');
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors;
    expect(error).toBeInstanceOf(ApplyError);
    expect(error).toMatchObject({
      stage: 'apply',
      object: 'ConfigMap shop/b',
      message: 'ConfigMap shop/b: apply failed (403 Forbidden)',
    });
    expect(error?.cause).toBeInstanceOf(KubeError);
    expect(client.objects.has('|ConfigMap|shop|old')).toBe(true);
    expect(parentOf(client)).toMatchObject({
      'plumbline.dev/revision': 'r1',
      'plumbline.dev/digest': good,
      'plumbline.dev/failed': 'apply',
      'plumbline.dev/failed-revision': 'r2',
    });

    // The next complete run clears the marker.
    client.failWhen(() => undefined);
    const fixed = await applyPlan(
      input([ns, cm('a'), cm('b', { labels: { v: '2' } })], 'r3'),
      client,
      options,
    );
    expect(fixed.ok).toBe(true);
    expect(parentOf(client)['plumbline.dev/failed']).toBeUndefined();
    expect(parentOf(client)['plumbline.dev/revision']).toBe('r3');
  });

  it('prunes nothing when the members of the set cannot be listed, and records no revision', async () => {
    const forbidden = new KubeError('configmaps is forbidden: list', 403, 'Forbidden');
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('c')]), client, options);
    const unchanged = () => {
      expect(client.objects.has('|ConfigMap|shop|c')).toBe(true);
      expect(client.calls.some((call) => call.startsWith('delete'))).toBe(false);
      expect(parentOf(client)).toMatchObject({ 'plumbline.dev/revision': 'r1' });
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
    expect(result.errors[0]).toBeInstanceOf(PruneError);
    expect(result.errors[0]?.message).toContain("cannot list the set's members");
    unchanged();
  });

  it('refuses to prune more than half of the set without opt-in, as a typed refusal', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b'), cm('c')]), client, options);
    const refused = await applyPlan(input([ns]), client, options);
    expect(refused.ok).toBe(false);
    expect(refused.errors[0]).toBeInstanceOf(PruneError);
    expect((refused.errors[0] as PruneError).refused).toBe(true);
    expect(refused.errors[0]?.message).toContain('3 of 4 members would be pruned');
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

  it('records the digest even when pruning is off, keeping the members left behind in the inventory', async () => {
    const client = createFakeKubeClient();
    await applyPlan(input([ns, cm('a'), cm('b')]), client, options);
    const result = await applyPlan(input([ns, cm('a')], 'r2'), client, {
      ...options,
      prune: false,
    });
    expect(result.ok).toBe(true);
    expect(summary(result.entries).at(-1)).toBe('skipped ConfigMap/b');
    expect(parentOf(client)).toMatchObject({
      'plumbline.dev/revision': 'r2',
      'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap,Namespace',
    });
  });

  it('never lets a failed release replace the result: it becomes a warning', async () => {
    const client = createFakeKubeClient();
    const replace = client.replace.bind(client);
    client.replace = async (object, opts) => {
      const spec = object.spec as { holderIdentity?: string };
      if (object.kind === 'Lease' && spec.holderIdentity === undefined) {
        throw new KubeError('Lease: replace failed: no answer', 0, 'NoAnswer');
      }
      return replace(object, opts);
    };
    const result = await applyPlan(input([cm('a')]), client, {
      ...options,
      lease: { durationSeconds: 1 },
    });
    expect(result.ok).toBe(true);
    expect(summary(result.entries)).toEqual(['created ConfigMap/a']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toBeInstanceOf(LeaseError);
    expect(result.warnings[0]?.message).toContain('could not release the lease');
    expect(result.lease?.released).toBe(false);
  });

  it('stops writing once the lease is lost, and says so', async () => {
    const client = createFakeKubeClient();
    let applies = 0;
    const apply = client.apply.bind(client);
    client.apply = async (object, opts) => {
      if (object.kind === 'ConfigMap' && ++applies === 1) {
        // Someone breaks the lease while the first ConfigMap is applied.
        const lease = client.objects.get(
          'coordination.k8s.io|Lease|shop|plumbline-web',
        ) as KubeObject;
        await client.replace({ ...lease, spec: { holderIdentity: 'someone-else' } });
        await new Promise((r) => setTimeout(r, 500));
      }
      return apply(object, opts);
    };
    const result = await applyPlan(input([cm('a'), sa('b'), deploy('c')]), client, {
      ...options,
      lease: { durationSeconds: 1 },
      concurrency: 1,
    });
    expect(result.ok).toBe(false);
    expect(result.errors[0]).toBeInstanceOf(LeaseError);
    expect(summary(result.entries)).toEqual([
      'created ServiceAccount/b',
      'created ConfigMap/a',
      'skipped Deployment/c',
    ]);
    expect(client.objects.has('apps|Deployment|shop|c')).toBe(false);
    // Nothing recorded as the holder any more: the record stays as it was.
    expect(parentOf(client)['plumbline.dev/revision']).toBeUndefined();
  });
});
