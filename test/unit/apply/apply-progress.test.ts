import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { ApplyProgress } from '../../../lib/apply/apply-progress.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { name },
});
const input = (objects: KubeObject[], revision: string) => ({
  app: 'web',
  namespace: 'shop',
  objects,
  revision,
});

describe('applyPlan progress', () => {
  it('counts objects applied out of the total, then members pruned, as data', async () => {
    const client = createFakeKubeClient();
    const seen: ApplyProgress[] = [];
    const onProgress = (progress: ApplyProgress) => seen.push(progress);
    await applyPlan(input([cm('a'), cm('b'), cm('c')], 'r1'), client, {
      holder: 'test',
      sleep: async () => {},
      onProgress,
    });
    expect(seen).toEqual([
      { stage: 'apply', done: 0, total: 3 },
      { stage: 'apply', done: 1, total: 3 },
      { stage: 'apply', done: 2, total: 3 },
      { stage: 'apply', done: 3, total: 3 },
    ]);
    seen.length = 0;
    await applyPlan(input([cm('a')], 'r2'), client, {
      holder: 'test',
      sleep: async () => {},
      allowMassPrune: true,
      onProgress,
    });
    expect(seen.filter((p) => p.stage === 'prune')).toEqual([
      { stage: 'prune', done: 1, total: 2 },
      { stage: 'prune', done: 2, total: 2 },
    ]);
  });
});
