import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { adminKube, configMap, freshNamespace } from './cluster.ts';

const holder = 'helm-hooks-test';

/** A Job hook as charts write them (KWOK completes its pod, the Job controller the Job). */
function hookJob(name: string, hook: string, extra: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, annotations: { 'helm.sh/hook': hook, ...extra } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { hook: name } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'run', image: 'busybox:1.36' }],
        },
      },
    },
  };
}

const summary = (entries: { action: string; ref: { kind: string; name: string } }[]) =>
  entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`);

describe('Helm hooks run as Argo CD runs them', () => {
  it('runs pre-install before and post-install after the apply, skips tests, keeps hooks out of the set', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'hooks');
    const objects = [
      configMap('settings', { mode: 'prod' }),
      hookJob('migrate', 'pre-install,pre-upgrade', { 'helm.sh/hook-weight': '-5' }),
      hookJob('seed', 'pre-install', { 'helm.sh/hook-weight': '3' }),
      hookJob('notify', 'post-install', { 'helm.sh/hook-delete-policy': 'hook-succeeded' }),
      hookJob('smoke', 'test'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'legacy-crd-hook', annotations: { 'helm.sh/hook': 'crd-install' } },
      },
    ];
    const input = { app: 'hooked', namespace: ns, objects, revision: 'r1' };

    const plan = await planApp(input, client);
    expect(plan.entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`).sort()).toEqual([
      'create ConfigMap/legacy-crd-hook',
      'create ConfigMap/settings',
    ]);

    const first = await applyPlan(input, client, { holder, health: { timeoutMs: 60_000 } });
    expect(first.errors).toEqual([]);
    expect(summary(first.entries)).toEqual([
      'skipped Job/smoke',
      'created Job/migrate',
      'created Job/seed',
      'created ConfigMap/settings',
      'created ConfigMap/legacy-crd-hook',
      'created Job/notify',
    ]);
    expect(first.entries[0]).toMatchObject({ reason: expect.stringContaining('a Helm test hook') });

    const job = (name: string) => client.get({ group: 'batch', kind: 'Job', namespace: ns, name });
    const migrate = await job('migrate');
    expect(migrate?.metadata.labels?.['applyset.kubernetes.io/part-of']).toBeUndefined();
    expect(await job('notify')).toBeUndefined(); // hook-succeeded
    expect(await job('smoke')).toBeUndefined(); // tests never run

    // The next sync recreates a before-hook-creation hook and prunes none of them.
    const second = await applyPlan({ ...input, revision: 'r2' }, client, {
      holder,
      health: { timeoutMs: 60_000 },
    });
    expect(second.errors).toEqual([]);
    expect(summary(second.entries).filter((e) => e.startsWith('deleted'))).toEqual([]);
    expect((await job('migrate'))?.metadata.uid).not.toBe(migrate?.metadata.uid);
  });

  it('stops at a failed pre-install hook: nothing applied, nothing pruned', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'hookfail');
    const base = { app: 'hooked', namespace: ns, revision: 'r1' };
    const ok = await applyPlan({ ...base, objects: [configMap('old', { v: '1' })] }, client, {
      holder,
    });
    expect(ok.ok).toBe(true);

    const broken = hookJob('migrate', 'pre-upgrade');
    (broken.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy =
      'Always'; // a Job refuses it: the hook cannot be created
    const failed = await applyPlan(
      { ...base, revision: 'r2', objects: [configMap('new', { v: '1' }), broken] },
      client,
      { holder },
    );
    expect(failed.ok).toBe(false);
    expect(failed.errors[0]?.message).toMatch(
      /^PreSync hook Job\.batch hookfail-[^/]+\/migrate failed: apply failed \(422 Invalid\)/,
    );
    expect(summary(failed.entries)).toEqual([
      'failed Job/migrate',
      'skipped ConfigMap/new',
      'skipped ConfigMap/old',
    ]);
    expect(failed.entries[2]?.reason).toBe('not pruned: an earlier step failed');
    const get = (name: string) => client.get({ group: '', kind: 'ConfigMap', namespace: ns, name });
    expect(await get('new')).toBeUndefined();
    expect(await get('old')).toBeDefined();
  });
});
