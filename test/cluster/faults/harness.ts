/**
 * What the fault-injection tests share: an app of ConfigMaps applied through the fault proxy,
 * and the checks every scenario ends with:
 *
 * - the outcome is true to live state (what the ChangeSet says was applied is there; a run
 *   reported complete recorded its revision; a failed one left its failed marker or the old
 *   record);
 * - no desired object was deleted;
 * - a final fault-free run converges, waiting for no lease longer than one duration.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { nodeKubeFetch } from '../../../functions/node/kube-transport.ts';
import { applyPlan, type ChangeSet } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { readInventory } from '../../../lib/inventory/applyset.ts';
import { createKubeClient, type KubeClient } from '../../../lib/kube/client.ts';
import type { TestCluster } from '../../env/control-plane.ts';
import { type FaultProxy, startFaultProxy } from '../../env/fault-proxy.ts';
import { adminKube, configMap } from '../engine/cluster.ts';

/** The lease duration of the fault tests: short, so a lock-out would show within seconds. */
export const LEASE_SECONDS = 2;

/** A proxy for the cluster, in a temporary directory. */
export function proxyFor(cluster: TestCluster): Promise<FaultProxy> {
  return startFaultProxy(cluster, mkdtempSync(join(tmpdir(), 'plumbline-faults-')));
}

/** A client through the proxy (bearer token), with quick retries to keep the suite short. */
export function proxiedClient(cluster: TestCluster, proxy: FaultProxy): KubeClient {
  return createKubeClient({
    server: proxy.url,
    fetch: nodeKubeFetch({ server: proxy.url, caPem: cluster.caPem }),
    headers: { authorization: `Bearer ${cluster.admin.token}` },
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 800, maxRetryAfterMs: 5_000 },
  });
}

/** The desired ConfigMaps of an app at a version. */
export function objectsAt(version: string, count = 6): KubeObject[] {
  return Array.from({ length: count }, (_, i) => configMap(`cm-${i}`, { version }));
}

/** Runs an apply; a thrown error is part of the outcome. */
export async function attempt(
  client: KubeClient,
  ns: string,
  objects: KubeObject[],
  revision: string,
  extra: Partial<Parameters<typeof applyPlan>[2]> = {},
): Promise<{ result?: ChangeSet; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const result = await applyPlan({ app: 'faulty', namespace: ns, objects, revision }, client, {
      holder: `fault-test/${revision}`,
      lease: { durationSeconds: LEASE_SECONDS },
      ...extra,
    });
    return { result, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

/**
 * Checks that an outcome is true to live state, read directly (not through the proxy), and
 * that no object of `mustStay` (desired before and after) was deleted.
 */
export async function expectTruthful(
  outcome: { result?: ChangeSet; error?: unknown },
  ns: string,
  desired: KubeObject[],
  previousRevision: string | undefined,
): Promise<void> {
  const { client: admin } = adminKube();
  const inventory = await readInventory(admin, 'faulty', ns);
  for (const object of desired) {
    const live = await admin.get({
      group: '',
      kind: 'ConfigMap',
      namespace: ns,
      name: object.metadata.name as string,
    });
    const entry = outcome.result?.entries.find((e) => e.ref.name === object.metadata.name);
    if (entry && ['created', 'configured', 'unchanged'].includes(entry.action)) {
      expect(live?.data, `${entry.action} ${object.metadata.name} is live as applied`).toEqual(
        object.data,
      );
    }
    // Never deleted: every desired object that existed before is still there.
    if (previousRevision !== undefined)
      expect(live, `${object.metadata.name} is not deleted`).toBeDefined();
  }
  if (outcome.result?.ok) {
    expect(inventory.revision).toBe(outcome.result.revision);
    expect(inventory.failed).toBeUndefined();
  } else if (outcome.result) {
    // Failed: the record says so, or (when it could not be written) stayed as it was.
    if (inventory.revision === outcome.result.revision) expect(inventory.failed).toBeDefined();
    else expect(inventory.revision).toBe(previousRevision);
  } else {
    // Thrown before anything was written: the record is as it was.
    expect(inventory.revision).toBe(previousRevision);
  }
}

/** The final fault-free run: it converges, within one lease duration of waiting at most. */
export async function expectConverges(
  client: KubeClient,
  proxy: FaultProxy,
  ns: string,
  objects: KubeObject[],
  revision: string,
): Promise<number> {
  proxy.clear();
  const final = await attempt(client, ns, objects, revision);
  expect(final.error, String(final.error)).toBeUndefined();
  expect(final.result?.ok, final.result?.errors.map((e) => e.message).join('; ')).toBe(true);
  // Waiting for a stale lease costs at most one duration (plus a retry period and the run).
  expect(final.ms).toBeLessThan(LEASE_SECONDS * 1000 + 4_000);
  await expectTruthful(final, ns, objects, revision);
  return final.ms;
}

/** One line of the closing note's table, printed for the run's log. */
export function report(scenario: string, facts: Record<string, unknown>): void {
  console.log(`[fault] ${JSON.stringify({ scenario, ...facts })}`);
}
