import { describe, expect, it } from 'vitest';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { DeliveryReads } from '../../../lib/jobs/delivery-reads.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { baseFiles, flowSetup, REPO } from '../flows/fixtures.ts';

describe('DeliveryReads', () => {
  it('runs a read once per delivery and key, and again for another delivery', async () => {
    const reads = new DeliveryReads();
    let loads = 0;
    const load = async () => ++loads;
    expect(await reads.read('d-1', 'head', load)).toBe(1);
    expect(await reads.read('d-1', 'head', load)).toBe(1);
    expect(await reads.read('d-1', 'config', load)).toBe(2);
    expect(await reads.read('d-2', 'head', load)).toBe(3);
  });

  it('keeps no failed read, and forgets entries after their time', async () => {
    let clock = 0;
    const reads = new DeliveryReads({ ttlMs: 1_000, now: () => clock });
    let loads = 0;
    await expect(
      reads.read('d', 'k', async () => {
        loads++;
        throw new Error('GitHub answered 502');
      }),
    ).rejects.toThrow('502');
    expect(await reads.read('d', 'k', async () => ++loads)).toBe(2);
    clock = 1_000;
    expect(await reads.read('d', 'k', async () => ++loads)).toBe(3);
  });

  it('stays bounded, dropping the oldest entries', async () => {
    const reads = new DeliveryReads({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) await reads.read(`d-${i}`, 'k', async () => i);
    expect(reads.size).toBe(3);
    let loads = 0;
    expect(await reads.read('d-9', 'k', async () => ++loads)).toBe(9);
    expect(await reads.read('d-0', 'k', async () => ++loads)).toBe(1);
  });
});

describe('the jobs of one push share the trusted configuration', () => {
  const job = (app: string, deliveryId: string): ReconcileJob => ({
    kind: 'reconcile',
    repo: REPO,
    app,
    branch: 'main',
    deliveryId,
  });

  it('read the trusted branch and its head once per delivery, not once per app', async () => {
    const { git, deps } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    const shared = { ...deps, deliveryReads: new DeliveryReads() };
    const reads = () =>
      git.calls.filter((c) => c.startsWith('defaultBranch') || c.startsWith('branchHead'));
    await deployApp(job('web', 'push-1'), shared);
    await deployApp(job('api', 'push-1'), shared);
    expect(reads()).toEqual([`defaultBranch ${REPO}`, `branchHead ${REPO} main`]);

    // A newer push is a new delivery: its jobs read the newer head, never the older one.
    const newer = git.commit(REPO, 'main', baseFiles('green'));
    const outcome = await deployApp(job('web', 'push-2'), shared);
    expect(outcome).toMatchObject({ status: 'applied', sha: newer });
    expect(reads()).toHaveLength(4);
  });
});
