import { describe, expect, it } from 'vitest';
import { parentRef } from '../../../lib/apply/applyset.ts';
import { acquireLease } from '../../../lib/apply/lease.ts';
import { ApplyError } from '../../../lib/errors.ts';
import { createFakeKubeClient } from '../../../lib/kube/fake-client.ts';

const inv = { parent: parentRef('web', 'shop'), id: 'applyset-x-v1' };
const annotations = (client: ReturnType<typeof createFakeKubeClient>) =>
  [...client.objects.values()][0]?.metadata.annotations ?? {};

describe('lease', () => {
  it('creates the parent with the lease when the app is new, and frees it on release', async () => {
    const client = createFakeKubeClient();
    const lease = await acquireLease(client, inv, { holder: 'a', now: () => 0 });
    expect(annotations(client)['plumbline.dev/lease-holder']).toBe('a');
    expect(annotations(client)['plumbline.dev/lease-expires']).toBe('1970-01-01T00:10:00.000Z');
    await lease.release();
    expect(annotations(client)['plumbline.dev/lease-holder']).toBe('');
  });

  it('refuses a second holder while the lease runs, naming the holder', async () => {
    const client = createFakeKubeClient();
    await acquireLease(client, inv, { holder: 'a', now: () => 0 });
    const error = await acquireLease(client, inv, { holder: 'b', now: () => 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(ApplyError);
    expect(error.message).toBe(
      'Secret shop/web: the app is being applied by a (lease until 1970-01-01T00:10:00.000Z)',
    );
    expect(annotations(client)['plumbline.dev/lease-holder']).toBe('a');
  });

  it('waits for the holder to release, then takes it', async () => {
    const client = createFakeKubeClient();
    const first = await acquireLease(client, inv, { holder: 'a' });
    let polls = 0;
    const second = await acquireLease(client, inv, {
      holder: 'b',
      waitMs: 60_000,
      sleep: async () => {
        if (++polls === 2) await first.release();
      },
    });
    expect(second.holder).toBe('b');
    expect(polls).toBe(2);
    expect(annotations(client)['plumbline.dev/lease-holder']).toBe('b');
  });

  it('takes over an expired lease', async () => {
    const client = createFakeKubeClient();
    await acquireLease(client, inv, { holder: 'a', now: () => 0, durationMs: 1000 });
    const lease = await acquireLease(client, inv, { holder: 'b', now: () => 5000 });
    expect(lease.holder).toBe('b');
  });

  it('lets exactly one of two racing holders win the compare-and-swap', async () => {
    const client = createFakeKubeClient();
    await (await acquireLease(client, inv, { holder: 'seed' })).release();
    const results = await Promise.allSettled([
      acquireLease(client, inv, { holder: 'a' }),
      acquireLease(client, inv, { holder: 'b' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ApplyError);
  });
});
