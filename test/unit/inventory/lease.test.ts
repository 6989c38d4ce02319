import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../lib/core/object.ts';
import { KubeError, LeaseError } from '../../../lib/errors.ts';
import {
  acquireLease,
  breakLease,
  leaseRef,
  leaseTimings,
  microTime,
} from '../../../lib/inventory/lease.ts';
import { createFakeKubeClient, type FakeKubeClient } from '../../doubles/fake-kube-client.ts';

const ref = leaseRef('web', 'shop');
const spec = (client: FakeKubeClient) =>
  (client.objects.get('coordination.k8s.io|Lease|shop|plumbline-web')?.spec ?? {}) as Record<
    string,
    unknown
  >;

/** A monotonic clock that only moves when the code under test sleeps. */
function manualClock() {
  let t = 0;
  return {
    monotonic: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const seeded = (holder: string, renewTime: string): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'plumbline-web', namespace: 'shop' },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: renewTime,
    renewTime,
    leaseTransitions: 3,
  },
});

describe('the app lease (coordination.k8s.io/v1, client-go semantics)', () => {
  it('creates the Lease with holder, duration, times and transitions, and frees it on release', async () => {
    const client = createFakeKubeClient();
    const lease = await acquireLease(client, ref, { holder: 'cli/h/1', now: () => 0 });
    expect(lease.identity).toMatch(/^cli\/h\/1#[0-9a-f]{8}$/);
    expect(spec(client)).toEqual({
      holderIdentity: lease.identity,
      leaseDurationSeconds: 15,
      acquireTime: '1970-01-01T00:00:00.000000Z',
      renewTime: '1970-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });
    expect(await lease.release()).toEqual({ released: true, attempts: 1 });
    expect(spec(client).holderIdentity).toBeUndefined();
    expect(spec(client).leaseTransitions).toBe(0);
  });

  it('judges expiry on its own monotonic clock, never by the recorded times', async () => {
    // The record says it was renewed an hour ago (a skewed clock): a fresh candidate still
    // waits one whole duration of seeing no change before it takes over.
    const client = createFakeKubeClient([seeded('cli/other/9', '2020-01-01T00:00:00.000000Z')]);
    const clock = manualClock();
    const lease = await acquireLease(client, ref, {
      holder: 'cli/h/1',
      waitMs: 60_000,
      monotonic: clock.monotonic,
      sleep: clock.sleep,
    });
    expect(clock.monotonic()).toBeGreaterThanOrEqual(15_000);
    expect(clock.monotonic()).toBeLessThan(15_000 + leaseTimings(15).retryMs + 1);
    expect(lease.takeover).toEqual({ holder: 'cli/other/9', why: 'expired' });
    expect(spec(client).leaseTransitions).toBe(4);
    await lease.release();
  });

  it('keeps waiting while the holder renews (the record changes), then names the holder', async () => {
    const client = createFakeKubeClient([seeded('node/a/7#1', microTime(Date.now() + 3_600_000))]);
    const clock = manualClock();
    const error = await acquireLease(client, ref, {
      holder: 'cli/h/1',
      waitMs: 40_000,
      monotonic: clock.monotonic,
      sleep: async (ms) => {
        clock.advance(ms);
        // The holder renews every few seconds.
        const live = client.objects.get(
          'coordination.k8s.io|Lease|shop|plumbline-web',
        ) as KubeObject;
        await client.replace({
          ...live,
          spec: { ...(live.spec as object), renewTime: microTime(clock.monotonic()) },
        });
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseError);
    expect((error as LeaseError).reason).toBe('held');
    expect((error as LeaseError).holder).toBe('node/a/7#1');
    expect((error as LeaseError).message).toMatch(
      /^Lease\.coordination\.k8s\.io shop\/plumbline-web: the app is being applied by node\/a\/7#1 \(its lease was renewed 0 s ago/,
    );
    expect((error as LeaseError).hint).toContain('plumbline unlock');
    expect(spec(client).holderIdentity).toBe('node/a/7#1');
  });

  it('takes over at once a lease whose holder process is gone', async () => {
    const client = createFakeKubeClient([seeded('cli/h/4242#ab', microTime(Date.now()))]);
    const clock = manualClock();
    const asked: string[] = [];
    const lease = await acquireLease(client, ref, {
      holder: 'cli/h/1',
      monotonic: clock.monotonic,
      sleep: clock.sleep,
      isHolderAlive: (identity) => {
        asked.push(identity);
        return false;
      },
    });
    expect(asked).toEqual(['cli/h/4242#ab']);
    expect(clock.monotonic()).toBe(0);
    expect(lease.takeover).toEqual({ holder: 'cli/h/4242#ab', why: 'dead' });
    await lease.release();
  });

  it('lets exactly one of two racing candidates win, by resourceVersion preconditions', async () => {
    const client = createFakeKubeClient();
    const clock = manualClock();
    const options = { waitMs: 0, monotonic: clock.monotonic, sleep: clock.sleep };
    const results = await Promise.allSettled([
      acquireLease(client, ref, { holder: 'a', ...options }),
      acquireLease(client, ref, { holder: 'b', ...options }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(LeaseError);
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<unknown> }>).value.release();
  });

  it('creates the namespace through the caller when it is missing, once', async () => {
    const client = createFakeKubeClient();
    let missing = true;
    client.failWhen((verb) =>
      verb === 'create' && missing
        ? new KubeError('namespaces "shop" not found', 404, 'NotFound')
        : undefined,
    );
    let ensured = 0;
    const lease = await acquireLease(client, ref, {
      holder: 'a',
      ensureNamespace: async () => {
        ensured++;
        missing = false;
      },
    });
    expect(ensured).toBe(1);
    await lease.release();
  });

  it('stops trusting the lease once it is broken, and release then reports it without throwing', async () => {
    const client = createFakeKubeClient();
    const lease = await acquireLease(client, ref, { holder: 'cli/h/1', durationSeconds: 1 });
    const shown = client.objects.get('coordination.k8s.io|Lease|shop|plumbline-web') as KubeObject;
    const record = await breakLease(client, ref, 'cli/admin/5', {
      resourceVersion: shown.metadata.resourceVersion as string,
    });
    expect(record).toMatchObject({ holder: lease.identity, brokenBy: 'cli/admin/5' });
    // The holder notices at its next renewal (every 200 ms for a 1 s lease).
    await new Promise((r) => setTimeout(r, 450));
    expect(() => lease.check()).toThrow(/lost the app's lease: it is now held by no one/);
    const release = await lease.release();
    expect(release.released).toBe(false);
    expect(release.error?.reason).toBe('lost');
  });

  it('stops trusting the lease when renewals fail for two thirds of its duration', async () => {
    const client = createFakeKubeClient();
    const lease = await acquireLease(client, ref, { holder: 'a', durationSeconds: 1 });
    client.failWhen((verb) =>
      verb === 'replace'
        ? new KubeError('Lease: replace failed (503)', 503, 'ServiceUnavailable')
        : undefined,
    );
    expect(() => lease.check()).not.toThrow();
    await new Promise((r) => setTimeout(r, 800));
    expect(() => lease.check()).toThrow(LeaseError);
    const release = await lease.release();
    expect(release.released).toBe(false);
  });

  it('never throws on release: it retries, then reports that the lease will expire by itself', async () => {
    const client = createFakeKubeClient();
    const lease = await acquireLease(client, ref, { holder: 'a', durationSeconds: 1 });
    let failures = 0;
    client.failWhen((verb) =>
      verb === 'replace' && failures++ < 2
        ? new KubeError('Lease: replace failed (503)', 503, 'ServiceUnavailable')
        : undefined,
    );
    const release = await lease.release();
    expect(release).toEqual({ released: true, attempts: 3 });
    expect(spec(client).holderIdentity).toBeUndefined();
  });

  it('breaks a lease only as it was shown: a renewal since then refuses the break', async () => {
    const client = createFakeKubeClient([seeded('cli/h/1#x', microTime(0))]);
    const error = await breakLease(client, ref, 'me', { resourceVersion: 'stale' }).catch((e) => e);
    expect(error).toBeInstanceOf(LeaseError);
    expect(error.message).toContain('the lease changed since it was shown');
    expect(spec(client).holderIdentity).toBe('cli/h/1#x');
  });
});
