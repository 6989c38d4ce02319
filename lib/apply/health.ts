/**
 * Rollout health of workloads, read from their status the way `kubectl rollout status` does:
 * Deployments, StatefulSets and DaemonSets are healthy once the controller saw the latest
 * generation and every replica is updated and available; Jobs once they complete.
 */

import { describeRef, type KubeObject, type ObjectRef, refKey } from '../core/object.ts';
import type { KubeClient } from '../kube/client.ts';
import type { OnApplyProgress } from './apply-progress.ts';

/** A workload's state. */
export type HealthState = 'healthy' | 'progressing' | 'failed';

/** The health of one object, with a sentence saying why. */
export interface Health {
  state: HealthState;
  message: string;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };
type Status = Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };

const n = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** Kinds whose rollout Plumbline waits for. */
export function hasRollout(ref: Pick<ObjectRef, 'group' | 'kind'>): boolean {
  return (
    (ref.group === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(ref.kind)) ||
    (ref.group === 'batch' && ref.kind === 'Job')
  );
}

/** Assesses one object's rollout from its status. */
export function assessHealth(object: KubeObject): Health {
  const status = (object.status ?? {}) as Status;
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const generation = object.metadata.generation ?? 0;
  const conditions = status.conditions ?? [];
  const condition = (type: string) => conditions.find((c) => c.type === type);
  if (object.kind === 'Job') {
    if (condition('Complete')?.status === 'True') return { state: 'healthy', message: 'complete' };
    const failed = condition('Failed');
    if (failed?.status === 'True')
      return {
        state: 'failed',
        message: `failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
      };
    return {
      state: 'progressing',
      message: `${n(status.succeeded)} succeeded, ${n(status.active)} active`,
    };
  }
  if (n(status.observedGeneration) < generation) {
    return { state: 'progressing', message: 'waiting for the controller to see the new spec' };
  }
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (object.kind === 'Deployment') {
    const progressing = condition('Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return {
        state: 'failed',
        message: `progress deadline exceeded: ${progressing.message ?? ''}`.trim(),
      };
    }
    if (n(status.updatedReplicas) < replicas)
      return {
        state: 'progressing',
        message: `${n(status.updatedReplicas)} of ${replicas} updated`,
      };
    if (n(status.replicas) > n(status.updatedReplicas))
      return {
        state: 'progressing',
        message: `${n(status.replicas) - n(status.updatedReplicas)} old replicas pending termination`,
      };
    if (n(status.availableReplicas) < n(status.updatedReplicas))
      return {
        state: 'progressing',
        message: `${n(status.availableReplicas)} of ${n(status.updatedReplicas)} available`,
      };
    return { state: 'healthy', message: `${replicas} of ${replicas} available` };
  }
  if (object.kind === 'StatefulSet') {
    if (n(status.readyReplicas) < replicas)
      return { state: 'progressing', message: `${n(status.readyReplicas)} of ${replicas} ready` };
    const strategy = (spec.updateStrategy as { type?: string } | undefined)?.type;
    if (
      strategy !== 'OnDelete' &&
      status.updateRevision &&
      status.currentRevision !== status.updateRevision
    ) {
      return { state: 'progressing', message: 'rolling out the new revision' };
    }
    return { state: 'healthy', message: `${replicas} of ${replicas} ready` };
  }
  if (object.kind === 'DaemonSet') {
    const desired = n(status.desiredNumberScheduled);
    if (n(status.updatedNumberScheduled) < desired)
      return {
        state: 'progressing',
        message: `${n(status.updatedNumberScheduled)} of ${desired} updated`,
      };
    if (n(status.numberAvailable) < desired)
      return {
        state: 'progressing',
        message: `${n(status.numberAvailable)} of ${desired} available`,
      };
    return { state: 'healthy', message: `${desired} of ${desired} available` };
  }
  return { state: 'healthy', message: 'no rollout' };
}

/** Polls the objects until all are healthy, one failed, or `timeoutMs` passed. */
export async function waitHealthy(
  client: KubeClient,
  refs: readonly ObjectRef[],
  options: {
    timeoutMs: number;
    pollMs?: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    /** Told after each round how many rollouts are ready and what the first pending one waits for. */
    onProgress?: OnApplyProgress;
  },
): Promise<Map<string, Health>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + options.timeoutMs;
  const results = new Map<string, Health>();
  let pending = refs.filter(hasRollout);
  const total = pending.length;
  for (;;) {
    const still: ObjectRef[] = [];
    for (const ref of pending) {
      const live = await client.get(ref);
      const health: Health = live
        ? assessHealth(live)
        : { state: 'failed', message: `${describeRef(ref)} is gone` };
      results.set(refKey(ref), health);
      if (health.state === 'progressing') still.push(ref);
    }
    pending = still;
    const first = pending[0];
    options.onProgress?.({
      stage: 'health',
      ready: total - pending.length,
      total,
      ...(first
        ? { waitingFor: `${describeRef(first)}: ${results.get(refKey(first))?.message ?? ''}` }
        : {}),
    });
    if (pending.length === 0 || now() >= deadline) return results;
    await sleep(options.pollMs ?? 1_000);
  }
}
