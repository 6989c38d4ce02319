/**
 * Faults between Plumbline and a real API server, injected by the fault proxy at each stage of
 * an apply: transient answers are retried, a fault that outlasts the retries fails the run
 * truthfully (typed, marked for retry, nothing pruned after it), and the next fault-free run
 * converges without waiting for any lease longer than one duration.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeError, LeaseError, PruneError } from '../../../lib/errors.ts';
import { isTransient } from '../../../lib/jobs/transient.ts';
import type { KubeClient } from '../../../lib/kube/client.ts';
import { type FaultProxy, isLeaseRelease } from '../../env/fault-proxy.ts';
import { adminKube, freshNamespace, leaseSpec } from '../engine/cluster.ts';
import {
  attempt,
  expectConverges,
  expectTruthful,
  LEASE_SECONDS,
  objectsAt,
  proxiedClient,
  proxyFor,
  report,
} from './harness.ts';

const cluster = inject('cluster');
let proxy: FaultProxy;
let client: KubeClient;

const configMapWrite = ({ method, path }: { method: string; path: string }) =>
  method === 'PATCH' && path.includes('/configmaps/') && !path.includes('dryRun=');

beforeAll(async () => {
  proxy = await proxyFor(cluster);
  client = proxiedClient(cluster, proxy);
});

afterAll(async () => {
  await proxy?.close();
});

/** A namespace with the app applied at v1, through the proxy, without faults. */
async function appliedApp(prefix: string): Promise<string> {
  const ns = await freshNamespace(adminKube().client, prefix);
  proxy.clear();
  const first = await attempt(client, ns, objectsAt('v1'), 'v1');
  expect(first.result?.ok).toBe(true);
  return ns;
}

describe('API server faults at each stage of an apply', () => {
  it('retries 503s and resets mid-apply and applies everything', async () => {
    const ns = await appliedApp('fault-5xx');
    proxy.inject({
      name: '503',
      match: configMapWrite,
      action: { kind: 'status', status: 503, reason: 'ServiceUnavailable' },
      times: 2,
    });
    proxy.inject({
      name: 'reset',
      match: configMapWrite,
      action: { kind: 'reset' },
      times: 2,
      after: 2,
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2');
    expect(proxy.pending()).toEqual([]);
    expect(outcome.result?.ok).toBe(true);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    report('503 x2 and connection reset x2 mid-apply', { ok: true, ms: Math.round(outcome.ms) });
  });

  it('waits the Retry-After of a 429 and goes on', async () => {
    const ns = await appliedApp('fault-429');
    proxy.inject({
      name: '429',
      match: configMapWrite,
      action: { kind: 'status', status: 429, reason: 'TooManyRequests', retryAfterSeconds: 1 },
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2');
    expect(outcome.result?.ok).toBe(true);
    const limited = proxy.requests.find((r) => r.fault === '429');
    const retried = proxy.requests.find(
      (r) => r.at > (limited?.at ?? 0) && r.path === limited?.path && r.method === 'PATCH',
    );
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    report('429 with Retry-After: 1', {
      ok: true,
      retryAfterHonouredMs: (retried?.at ?? 0) - (limited?.at ?? 0),
    });
  });

  it('keeps renewing its lease through slow answers longer than the renew interval', async () => {
    const ns = await appliedApp('fault-latency');
    proxy.inject({
      name: 'latency',
      match: configMapWrite,
      action: { kind: 'delay', ms: 900 },
      times: 6,
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2', { concurrency: 1 });
    expect(outcome.result?.ok).toBe(true);
    const renewals = proxy.requests.filter(
      (r) =>
        r.method === 'PUT' &&
        r.path.includes('/leases/') &&
        !isLeaseRelease(r.method, r.path, r.body),
    );
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    report('900 ms latency on every write (apply ~5.4 s, lease 2 s)', {
      ok: true,
      ms: Math.round(outcome.ms),
      renewals: renewals.length,
    });
  });

  it('an outage before the lease: nothing is written, the next run converges', async () => {
    const ns = await appliedApp('fault-pre-lease');
    proxy.inject({
      name: 'outage-before-lease',
      match: ({ path }) => path.includes('/leases/'),
      action: { kind: 'outage', ms: 6_000, mode: 'reset' },
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2');
    expect(outcome.error).toBeInstanceOf(LeaseError);
    expect(isTransient(outcome.error)).toBe(true);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    // Not one write of this run reached the API server.
    const writes = proxy.requests.filter(
      (r) => r.method !== 'GET' && r.path.includes(ns) && r.body.includes('"version":"v2"'),
    );
    expect(writes.filter((r) => r.status !== 0)).toEqual([]);
    await new Promise((r) => setTimeout(r, 6_000 - outcome.ms));
    const convergedMs = await expectConverges(client, proxy, ns, objectsAt('v2'), 'v3');
    report('outage (resets, 6 s) before the lease', {
      outcome: 'LeaseError (failed), nothing written',
      convergedMs: Math.round(convergedMs),
    });
  });

  it('an outage mid-apply: the run stops writing when its lease is lost, fails truthfully, and the next run converges', async () => {
    const ns = await appliedApp('fault-mid');
    proxy.inject({
      name: 'outage-mid-apply',
      match: configMapWrite,
      action: { kind: 'outage', ms: 5_000, mode: 'reset' },
      after: 2,
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2', { concurrency: 1 });
    expect(outcome.result?.ok).toBe(false);
    const errors = outcome.result?.errors ?? [];
    expect(errors.every(isTransient)).toBe(true);
    expect(errors.some((e) => e instanceof LeaseError || e.cause instanceof KubeError)).toBe(true);
    // Nothing was pruned, nothing desired deleted.
    expect(outcome.result?.entries.filter((e) => e.action === 'deleted')).toEqual([]);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    await new Promise((r) => setTimeout(r, 5_500 - outcome.ms));
    const stale = (await leaseSpec(adminKube().client, 'faulty', ns)).holderIdentity;
    const convergedMs = await expectConverges(client, proxy, ns, objectsAt('v2'), 'v3');
    report('outage (resets, 5 s) mid-apply', {
      outcome: outcome.result?.entries.map((e) => e.action).join(','),
      errors: errors.map((e) => e.name).join(','),
      leaseLeftHeld: stale !== undefined,
      convergedMs: Math.round(convergedMs),
    });
  });

  it('an outage at prune: deletion fails typed, the run is marked failed, the next run prunes', async () => {
    const ns = await appliedApp('fault-prune');
    proxy.inject({
      name: 'outage-at-prune',
      match: ({ method }) => method === 'DELETE',
      action: { kind: 'outage', ms: 2_500, mode: '503' },
    });
    const kept = objectsAt('v1').slice(0, 4);
    const outcome = await attempt(client, ns, kept, 'v2');
    expect(outcome.result?.ok).toBe(false);
    expect(outcome.result?.errors[0]).toBeInstanceOf(PruneError);
    expect(outcome.result?.errors[0]).toMatchObject({ refused: false });
    expect(isTransient(outcome.result?.errors[0])).toBe(true);
    await expectTruthful(outcome, ns, kept, 'v1');
    await new Promise((r) => setTimeout(r, Math.max(0, 2_700 - outcome.ms)));
    const convergedMs = await expectConverges(client, proxy, ns, kept, 'v3');
    const { client: admin } = adminKube();
    expect(
      await admin.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'cm-5' }),
    ).toBeUndefined();
    report('outage (503, 2.5 s) at prune', {
      outcome: `${outcome.result?.errors[0]?.name} (transient), failed marker`,
      convergedMs: Math.round(convergedMs),
    });
  });

  it('an outage at release: the apply’s result stands, the release failure is a warning, and the lease expires within one duration', async () => {
    const ns = await appliedApp('fault-release');
    proxy.inject({
      name: 'release-refused',
      match: ({ method, path, body }) => isLeaseRelease(method, path, body),
      action: { kind: 'status', status: 503, reason: 'ServiceUnavailable' },
      times: 1_000,
    });
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v2');
    expect(outcome.result?.ok).toBe(true);
    expect(outcome.result?.entries.filter((e) => e.action === 'configured')).toHaveLength(6);
    expect(outcome.result?.warnings[0]).toBeInstanceOf(LeaseError);
    expect(outcome.result?.lease?.released).toBe(false);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    expect((await leaseSpec(adminKube().client, 'faulty', ns)).holderIdentity).toBe(
      outcome.result?.lease?.identity,
    );
    const convergedMs = await expectConverges(client, proxy, ns, objectsAt('v3'), 'v3');
    expect(convergedMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500);
    report('release refused (503 until the run ends)', {
      outcome: 'ok, warning LeaseError, lease left held',
      releaseMs: Math.round(outcome.ms),
      nextRunWaitedMs: Math.round(convergedMs),
    });
  });
});
