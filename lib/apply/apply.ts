/**
 * `applyPlan`: puts an app's desired objects on the cluster under the app's lease, in stages
 * (Namespaces and CRDs first, then the rest once CRDs are established), records the inventory
 * as an ApplySet, prunes members that left the set (last, in reverse order, never after a
 * failure), and optionally waits for rollouts. The outcome is a `ChangeSet`: plain data.
 */

import { describeRef, type KubeObject, type ObjectRef, refKey, refOf } from '../core/object.ts';
import { ApplyError, HealthError, KubeError, messageOf, PruneError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { resolveDesired } from '../plan/desired.ts';
import { planDigest } from '../plan/digest.ts';
import { type AppInput, appliesAsNoOp, mapLimit, type Plan } from '../plan/plan.ts';
import {
  type Inventory,
  listMembers,
  membership,
  parentObject,
  plumblineAnnotations,
  readInventory,
} from './applyset.ts';
import { type Health, waitHealthy } from './health.ts';
import { acquireLease } from './lease.ts';
import { applyOrder, isFirstStage } from './order.ts';

/** What happened to one object. */
export type ChangeAction =
  | 'created'
  | 'configured'
  | 'unchanged'
  | 'deleted'
  | 'skipped'
  | 'failed';

/** One object's outcome. */
export interface ChangeEntry {
  ref: ObjectRef;
  action: ChangeAction;
  /** Why it failed or was skipped. */
  error?: string;
  /** Rollout health, when a health wait was asked for. */
  health?: Health;
}

/** The outcome of an apply: plain data. */
export interface ChangeSet {
  app: string;
  namespace: string;
  revision: string;
  applySetId: string;
  entries: ChangeEntry[];
  /** True when every object applied, pruning (if any) succeeded and rollouts are healthy. */
  ok: boolean;
  /** Failures in order, each naming its object. */
  errors: string[];
  startedAt: string;
  finishedAt: string;
}

/** A finished run's `ChangeSet`: ok exactly when nothing failed. */
export function changeSetOf(
  input: Pick<AppInput, 'app' | 'namespace' | 'revision'>,
  applySetId: string,
  entries: ChangeEntry[],
  errors: string[],
  startedAt: string,
  finishedAt: number,
): ChangeSet {
  return {
    app: input.app,
    namespace: input.namespace,
    revision: input.revision,
    applySetId,
    entries,
    ok: errors.length === 0,
    errors,
    startedAt,
    finishedAt: new Date(finishedAt).toISOString(),
  };
}

/** Options of `applyPlan`. */
export interface ApplyPlanOptions {
  /** Names this invocation in the lease, e.g. `cli/host/1234`. */
  holder: string;
  /** Take fields other managers own instead of failing with a conflict. */
  force?: boolean;
  /** Delete members that left the set (default true). */
  prune?: boolean;
  /** Allow applying an empty set (which prunes everything). */
  allowEmpty?: boolean;
  /** Allow pruning more than half of the set's members in one run. */
  allowMassPrune?: boolean;
  /** Wait for rollouts of Deployments, StatefulSets, DaemonSets and Jobs. */
  health?: { timeoutMs: number; pollMs?: number };
  lease?: { durationMs?: number; waitMs?: number; pollMs?: number };
  /** How long to wait for CRDs to be established (default 60 s). */
  crdTimeoutMs?: number;
  /** Requests at once (default 8). */
  concurrency?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls CRDs until their `Established` condition is true. */
async function waitEstablished(
  client: KubeClient,
  crds: readonly KubeObject[],
  timeoutMs: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const deadline = now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await client.get(refOf(crd));
      const conditions =
        (live?.status as { conditions?: { type: string; status: string }[] } | undefined)
          ?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (now() >= deadline) {
        throw new ApplyError(`${describeRef(refOf(crd))}: not established after ${timeoutMs} ms`, {
          object: describeRef(refOf(crd)),
          hint: 'check the CRD for NamesAccepted conflicts (kubectl describe crd)',
        });
      }
      await sleep(200);
    }
  }
  client.invalidateDiscovery();
}

/** Applies an app (optionally following a plan made just before); see the module comment. */
export async function applyPlan(
  input: AppInput & { plan?: Plan; digest?: string },
  client: KubeClient,
  options: ApplyPlanOptions,
): Promise<ChangeSet> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const startedAt = new Date(now()).toISOString();
  if (input.objects.length === 0 && !options.allowEmpty) {
    throw new PruneError(
      `${input.app}: the app renders no objects; applying it would prune every member`,
      {
        hint: 'if that is intended, pass --allow-empty',
      },
    );
  }
  const entries: ChangeEntry[] = [];
  const errors: string[] = [];
  const fail = (ref: ObjectRef, error: unknown) => {
    const message = messageOf(error);
    entries.push({ ref, action: 'failed', error: message });
    errors.push(message);
  };

  let inv = await readInventory(client, input.app, input.namespace);
  const desired = applyOrder(
    await resolveDesired(input.objects, input.namespace, client, inv.id, input),
  );
  const digest =
    input.digest ??
    (await planDigest(input.revision, desired, new Map(), input.sensitive, input.secrets));

  // The parent lives in the app namespace: create it first if this app brings it.
  const homeNs = desired.find((o) => o.kind === 'Namespace' && o.metadata.name === input.namespace);
  if (homeNs && !(await client.get(refOf(homeNs)))) {
    await client.apply(homeNs, { force: options.force });
  }
  const lease = await acquireLease(client, inv, {
    holder: options.holder,
    // The lease must outlive the health wait, or a second apply could start during it.
    durationMs: Math.max(600_000, (options.health?.timeoutMs ?? 0) + 300_000),
    ...options.lease,
    now,
    sleep,
  });
  try {
    inv = await readInventory(client, input.app, input.namespace);
    const live = new Map<string, string | undefined>();
    for (const entry of input.plan?.entries ?? [])
      live.set(refKey(entry.ref), entry.liveResourceVersion);
    const previous = inv.live ? await listMembers(client, inv) : [];
    const liveMembers = new Map<string, KubeObject>();
    for (const member of previous) {
      live.set(refKey(refOf(member)), member.metadata.resourceVersion);
      liveMembers.set(refKey(refOf(member)), member);
    }

    // Record the union first, so a crash mid-apply still lets the next run find every member.
    const next = membership(desired, input.namespace);
    const union = {
      groupKinds: [...new Set([...inv.groupKinds, ...next.groupKinds])].sort(),
      namespaces: [...new Set([...inv.namespaces, ...next.namespaces])].sort(),
    };
    const record = recordOf(inv);
    await client.apply(parentObject(inv, union, record), { force: true });

    const applyOne = async (object: KubeObject) => {
      const ref = refOf(object);
      const key = refKey(ref);
      const member = liveMembers.get(key);
      if (member && appliesAsNoOp(object, member)) {
        // Applying would change nothing: save the request (most objects on most runs).
        entries.push({ ref, action: 'unchanged' });
        return;
      }
      try {
        const before = live.has(key)
          ? live.get(key)
          : (await client.get(ref))?.metadata.resourceVersion;
        const after = await client.apply(object, { force: options.force });
        const action: ChangeAction =
          before === undefined
            ? 'created'
            : before === after.metadata.resourceVersion
              ? 'unchanged'
              : 'configured';
        entries.push({ ref, action });
      } catch (error) {
        if (!(error instanceof KubeError)) throw error;
        fail(ref, error);
      }
    };
    const first = desired.filter(isFirstStage);
    const rest = desired.filter((o) => !isFirstStage(o));
    for (const object of first) await applyOne(object);
    if (errors.length === 0) {
      const crds = first.filter((o) => o.kind === 'CustomResourceDefinition');
      try {
        if (crds.length > 0)
          await waitEstablished(client, crds, options.crdTimeoutMs ?? 60_000, now, sleep);
      } catch (error) {
        errors.push(messageOf(error));
      }
    }
    if (errors.length === 0) {
      // Within a stage objects are independent: apply them concurrently, keep the order in the result.
      const start = entries.length;
      await mapLimit(rest, options.concurrency ?? 8, applyOne);
      const order = new Map(rest.map((o, i) => [refKey(refOf(o)), i]));
      const staged = entries
        .splice(start)
        .sort((a, b) => (order.get(refKey(a.ref)) ?? 0) - (order.get(refKey(b.ref)) ?? 0));
      entries.push(...staged);
    } else {
      for (const object of rest) {
        entries.push({
          ref: refOf(object),
          action: 'skipped',
          error: 'not applied: the first stage (Namespaces, CRDs) failed',
        });
      }
    }

    const wanted = new Set(desired.map((o) => refKey(refOf(o))));
    // Only kinds recorded before this run can hold members that left the set.
    let members: KubeObject[] = [];
    let listed = true;
    try {
      members = inv.live ? await listMembers(client, { ...inv, namespaces: union.namespaces }) : [];
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      errors.push(
        new PruneError(
          `${describeRef(inv.parent)}: cannot list the set's members: ${error.message}`,
        ).message,
      );
      listed = false;
    }
    const leaving = applyOrder(members.filter((m) => !wanted.has(refKey(refOf(m))))).reverse();
    const pruned =
      listed && (await prune(client, leaving, members.length, errors, entries, options));

    if (errors.length === 0 && pruned) {
      const applied = {
        [plumblineAnnotations.revision]: input.revision,
        [plumblineAnnotations.digest]: digest,
        [plumblineAnnotations.appliedAt]: new Date(now()).toISOString(),
      };
      await client.apply(parentObject(inv, next, applied), { force: true });
    }

    if (options.health && errors.length === 0) {
      const results = await waitHealthy(client, desired.map(refOf), {
        ...options.health,
        now,
        sleep,
      });
      for (const entry of entries) {
        const health = results.get(refKey(entry.ref));
        if (!health) continue;
        entry.health = health;
        if (health.state !== 'healthy') {
          errors.push(
            new HealthError(
              `${describeRef(entry.ref)}: ${health.state === 'failed' ? 'failed' : 'not ready in time'}: ${health.message}`,
            ).message,
          );
        }
      }
    }
  } finally {
    await lease.release();
  }
  return changeSetOf(input, inv.id, entries, errors, startedAt, now());
}

/** Keeps the last successful record while the set is being changed. */
function recordOf(inv: Inventory): Record<string, string> {
  const annotations = inv.live?.metadata.annotations ?? {};
  const out: Record<string, string> = {};
  for (const key of [
    plumblineAnnotations.revision,
    plumblineAnnotations.digest,
    plumblineAnnotations.appliedAt,
  ]) {
    const value = annotations[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Deletes members that left the set, guarded: never after a failure, never more than half the
 * set without opt-in, never one marked `plumbline.dev/prune: disabled`. Returns true when
 * pruning is complete (nothing refused or failed).
 */
async function prune(
  client: KubeClient,
  leaving: readonly KubeObject[],
  memberCount: number,
  errors: string[],
  entries: ChangeEntry[],
  options: ApplyPlanOptions,
): Promise<boolean> {
  if (leaving.length === 0) return true;
  const skip = (reason: string) => {
    for (const member of leaving)
      entries.push({ ref: refOf(member), action: 'skipped', error: reason });
  };
  if (options.prune === false) {
    skip('not pruned: pruning is off');
    return false;
  }
  if (errors.length > 0) {
    skip('not pruned: an earlier step failed');
    return false;
  }
  const deletable = leaving.filter(
    (m) => m.metadata.annotations?.[plumblineAnnotations.prune] !== 'disabled',
  );
  if (deletable.length * 2 > memberCount && !options.allowMassPrune) {
    const error = new PruneError(
      `${deletable.length} of ${memberCount} members would be pruned: more than half of the set`,
      { hint: 'if that is intended, pass --allow-mass-prune' },
    );
    skip(`not pruned: ${error.message}`);
    errors.push(error.message);
    return false;
  }
  for (const member of leaving) {
    const ref = refOf(member);
    if (!deletable.includes(member)) {
      entries.push({
        ref,
        action: 'skipped',
        error: `kept: ${plumblineAnnotations.prune}=disabled`,
      });
      continue;
    }
    try {
      await client.delete(ref, {
        preconditions: {
          uid: member.metadata.uid,
          resourceVersion: member.metadata.resourceVersion,
        },
        propagationPolicy: 'Background',
      });
      entries.push({ ref, action: 'deleted' });
    } catch (error) {
      const message = new PruneError(`${describeRef(ref)}: prune failed: ${messageOf(error)}`, {
        cause: error,
      }).message;
      entries.push({ ref, action: 'failed', error: message });
      errors.push(message);
    }
  }
  return errors.length === 0;
}
