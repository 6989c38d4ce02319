/**
 * `applyPlan`: puts an app's desired objects on the cluster. One run goes through these steps,
 * in this order (see `applyPlan` itself, where the order is written once):
 *
 * 1. **lease**: take the app's Lease before anything is written (`lib/inventory/lease.ts`);
 * 2. **parent**: record the union of the old and new group-kinds on the ApplySet parent, so a
 *    crash mid-way still lets the next run find every member;
 * 3. **stages**: Namespaces and CRDs first (then wait until the CRDs are established), then
 *    the rest in kind order, one kind at a time, the objects of one kind concurrently;
 * 4. **prune**: members that left the set, in reverse order, never after a failure and never
 *    what the app does not own (`lib/inventory/prune-guard.ts`);
 * 5. **record**: the revision and digest applied, or a failed marker that makes the next
 *    push and sweep retry;
 * 6. **health**: optionally, wait for rollouts.
 *
 * Server-side apply takes ownership of exactly the fields Git declares: conflicts with other
 * field managers on those fields are forced (drift is taken back), fields Git leaves out (an
 * HPA's `replicas`) are never touched. `failOnConflict` turns forcing off.
 *
 * The outcome is a `ChangeSet`: plain data whose errors stay typed. Failures before the first
 * write (bad input, the lease held, the API server unreachable) are thrown; once writing
 * started, every failure is recorded in the ChangeSet and the run ends normally.
 */

import { mapLimit } from '../core/map-limit.ts';
import { describeRef, type KubeObject, type ObjectRef, refKey, refOf } from '../core/object.ts';
import type { AppInput } from '../desired/app-input.ts';
import { objectsDigest } from '../desired/digest.ts';
import { appliesAsNoOp } from '../desired/no-op.ts';
import { resolveDesired } from '../desired/resolve-desired.ts';
import {
  ApplyError,
  HealthError,
  KubeError,
  LeaseError,
  messageOf,
  PlumblineError,
  PruneError,
} from '../errors.ts';
import {
  type Inventory,
  listMembers,
  membership,
  parentObject,
  plumblineAnnotations,
  readInventory,
  recordAnnotations,
} from '../inventory/applyset.ts';
import {
  acquireLease,
  type Lease,
  type LeaseOptions,
  type LeaseTakeover,
  leaseRef,
} from '../inventory/lease.ts';
import { hazardHint, holdsObjects, pruneHazard } from '../inventory/prune-guard.ts';
import type { KubeClient } from '../kube/client.ts';
import type { OnApplyProgress } from './apply-progress.ts';
import { type Health, waitHealthy } from './health.ts';
import { type HookPhase, type HookSplit, runHookPhase, splitHelmHooks } from './helm-hooks.ts';
import { applyOrder, applyRanks, isFirstStage } from './order.ts';

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
  /** Why it was skipped or kept. */
  reason?: string;
  /** Why it failed (also in `ChangeSet.errors`). */
  error?: PlumblineError;
  /** Rollout health, when a health wait was asked for. */
  health?: Health;
}

/** The outcome of an apply: plain data. */
export interface ChangeSet {
  app: string;
  namespace: string;
  revision: string;
  /** The rendered digest applied (`sha256:<hex>`). */
  digest: string;
  applySetId: string;
  entries: ChangeEntry[];
  /** True when every object applied, pruning (if any) succeeded and rollouts are healthy. */
  ok: boolean;
  /**
   * Failures in order, typed: `ApplyError` (an object, the parent, the record), `PruneError`
   * (`refused` by a guard, or a deletion failed), `HealthError`, `LeaseError` (lost mid-way).
   */
  errors: PlumblineError[];
  /** What went wrong without changing the outcome (a lease that could not be released). */
  warnings: PlumblineError[];
  /** The lease this run held. */
  lease?: { identity: string; takeover?: LeaseTakeover; released: boolean };
  startedAt: string;
  finishedAt: string;
}

/** Options of `applyPlan`. */
export interface ApplyPlanOptions {
  /** Names this invocation in the lease, e.g. `cli/<host>/<pid>`. */
  holder: string;
  /**
   * Fail on fields another field manager owns instead of taking them back (default false:
   * the fields Git declares are forced, the others never touched).
   */
  failOnConflict?: boolean;
  /** Delete members that left the set (default true). */
  prune?: boolean;
  /** Allow applying an empty set (which prunes everything). */
  allowEmpty?: boolean;
  /** Allow pruning more than half of the set's members in one run. */
  allowMassPrune?: boolean;
  /** Allow pruning a CRD or Namespace that holds objects outside the set (the app's opt-in). */
  pruneContents?: boolean;
  /** Wait for rollouts of Deployments, StatefulSets, DaemonSets and Jobs. */
  health?: { timeoutMs: number; pollMs?: number };
  lease?: Pick<LeaseOptions, 'durationSeconds' | 'waitMs' | 'isHolderAlive' | 'monotonic'>;
  /**
   * Self-heal: apply only these objects (by `refKey`), prune nothing, and record the heal.
   * The sweep uses it for drifted and missing objects.
   */
  heal?: { targets: ReadonlySet<string> };
  /** How long to wait for CRDs to be established (default 60 s). */
  crdTimeoutMs?: number;
  /** Told how far the apply is: objects applied, members pruned, rollouts ready. */
  onProgress?: OnApplyProgress;
  /** Requests at once within one kind (default 8). */
  concurrency?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A plan the apply follows: the live resourceVersions it saw spare a GET per object. */
export interface KnownLiveState {
  entries: readonly { ref: ObjectRef; liveResourceVersion?: string | undefined }[];
}

/** The state of one run, passed from step to step. */
interface Run {
  input: AppInput;
  client: KubeClient;
  options: ApplyPlanOptions;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  startedAt: string;
  inv: Inventory;
  desired: KubeObject[];
  /** Helm hooks (run around the apply as Argo CD does; never members of the set). */
  hooks: HookSplit;
  /** The hook objects as applied (namespaces filled in), in the order of `hooks.hooks`. */
  hookObjects: KubeObject[];
  digest: string;
  lease?: Lease;
  /** resourceVersions known before this run (from the plan or the member lists). */
  knownVersions: Map<string, string | undefined>;
  liveMembers: Map<string, KubeObject>;
  union: { groupKinds: string[]; namespaces: string[] };
  /** The bare home namespace this run had to create to hold its lease. */
  createdHome: boolean;
  entries: ChangeEntry[];
  errors: PlumblineError[];
  warnings: PlumblineError[];
  /** Pruning finished (nothing left behind that the inventory must still list). */
  prunedAll: boolean;
  /** Set once the lease was lost: nothing more is written. */
  stopped?: LeaseError;
  /** Whether the lease was released at the end. */
  releaseOutcome?: boolean;
}

/** Applies an app; see the module comment for the steps. */
export async function applyPlan(
  input: AppInput & { plan?: KnownLiveState },
  client: KubeClient,
  options: ApplyPlanOptions,
): Promise<ChangeSet> {
  const run = await prepareRun(input, client, options);
  run.lease = await takeLease(run);
  try {
    await recordUnion(run);
    const preSyncOk = await runHooks(run, 'PreSync');
    await applyStages(run, preSyncOk);
    await pruneLeaving(run);
    await recordOutcome(run);
    await waitForHealth(run);
    if (run.errors.length === 0 && !(await runHooks(run, 'PostSync'))) {
      await markFailedAfterRecord(run, 'apply');
    }
  } finally {
    await releaseLease(run);
  }
  return changeSetOf(run);
}

/** Checks the input and reads what the run starts from; writes nothing. */
async function prepareRun(
  input: AppInput & { plan?: KnownLiveState },
  client: KubeClient,
  options: ApplyPlanOptions,
): Promise<Run> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const startedAt = new Date(now()).toISOString();
  if (input.objects.length === 0 && !options.allowEmpty && !options.heal) {
    throw new PruneError(
      `${input.app}: the app renders no objects; applying it would prune every member`,
      { hint: 'if that is intended, pass --allow-empty', refused: true },
    );
  }
  const inv = await readInventory(client, input.app, input.namespace);
  // A heal puts drifted objects back: it runs no hooks.
  const hooks = options.heal
    ? { resources: [...input.objects], hooks: [], skipped: [] }
    : splitHelmHooks(input.objects);
  const desired = applyOrder(
    await resolveDesired(hooks.resources, input.namespace, client, inv.id, input),
  );
  const hookObjects =
    hooks.hooks.length === 0
      ? []
      : await resolveDesired(
          hooks.hooks.map((h) => h.object),
          input.namespace,
          client,
          inv.id,
          input,
        );
  const knownVersions = new Map<string, string | undefined>();
  for (const entry of input.plan?.entries ?? []) {
    knownVersions.set(refKey(entry.ref), entry.liveResourceVersion);
  }
  return {
    input,
    client,
    options,
    now,
    sleep,
    startedAt,
    inv,
    desired,
    hooks,
    hookObjects,
    digest:
      input.digest ??
      (await objectsDigest(desired, {
        ...(input.sensitive ? { sensitive: input.sensitive } : {}),
        ...(input.secrets ? { secrets: input.secrets } : {}),
      })),
    knownVersions,
    liveMembers: new Map(),
    union: { groupKinds: inv.groupKinds, namespaces: inv.namespaces },
    createdHome: false,
    entries: hooks.skipped.map(({ object, reason }) => ({
      ref: refOf(object),
      action: 'skipped' as const,
      reason,
    })),
    errors: [],
    warnings: [],
    prunedAll: false,
  };
}

/**
 * Step 1: the lease, the run's first write. Only when the app's own namespace does not exist
 * yet (the app creates it) is that namespace created first, bare and create-only: the lease
 * lives in it, and a namespace that did not exist cannot hold anything another run owns.
 */
async function takeLease(run: Run): Promise<Lease> {
  const { input, client } = run;
  const home = run.desired.find(
    (o) => o.kind === 'Namespace' && o.metadata.name === input.namespace,
  );
  return acquireLease(client, leaseRef(input.app, input.namespace), {
    holder: run.options.holder,
    ...run.options.lease,
    now: run.now,
    sleep: run.sleep,
    ensureNamespace: async () => {
      if (!home) {
        throw new ApplyError(
          `Namespace ${input.namespace}: does not exist, and the app does not create it`,
          {
            object: `Namespace ${input.namespace}`,
            hint: 'create the namespace, or add it to the app',
          },
        );
      }
      try {
        await client.create({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: input.namespace },
        });
        run.createdHome = true;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 409)) throw error;
      }
    },
  });
}

/** Throws `LeaseError` once the lease is lost; every write goes through it. */
function checkLease(run: Run): void {
  if (run.stopped) throw run.stopped;
  try {
    run.lease?.check();
  } catch (error) {
    if (!(error instanceof LeaseError)) throw error;
    run.stopped = error;
    run.errors.push(error);
    throw error;
  }
}

/** Runs a write of a step; a lost lease ends the step quietly (it is already recorded). */
async function guarded(run: Run, write: () => Promise<void>): Promise<void> {
  if (run.stopped) return;
  try {
    await write();
  } catch (error) {
    if (error instanceof LeaseError && error === run.stopped) return;
    throw error;
  }
}

/** The record kept while the set is being changed: whatever the parent holds now. */
function currentRecord(inv: Inventory): Record<string, string> {
  const annotations = inv.live?.metadata.annotations ?? {};
  const out: Record<string, string> = {};
  for (const key of recordAnnotations) {
    const value = annotations[key];
    if (value) out[key] = value;
  }
  return out;
}

/**
 * Step 2: re-read the inventory under the lease, list the members, and record the union of
 * the old and the new group-kinds and namespaces on the parent.
 */
async function recordUnion(run: Run): Promise<void> {
  const { client, input } = run;
  run.inv = await readInventory(client, input.app, input.namespace);
  for (const member of run.inv.live ? await listMembers(client, run.inv) : []) {
    const key = refKey(refOf(member));
    run.knownVersions.set(key, member.metadata.resourceVersion);
    run.liveMembers.set(key, member);
  }
  const next = membership(run.desired, input.namespace);
  run.union = {
    groupKinds: [...new Set([...run.inv.groupKinds, ...next.groupKinds])].sort(),
    namespaces: [...new Set([...run.inv.namespaces, ...next.namespaces])].sort(),
  };
  await guarded(run, async () => {
    checkLease(run);
    await client.apply(parentObject(run.inv, run.union, currentRecord(run.inv)), { force: true });
  });
}

/** Applies one object; its outcome becomes an entry. */
async function applyObject(run: Run, object: KubeObject): Promise<ChangeEntry> {
  const ref = refOf(object);
  if (run.stopped) return { ref, action: 'skipped', reason: 'not applied: the lease was lost' };
  const key = refKey(ref);
  const member = run.liveMembers.get(key);
  if (member && appliesAsNoOp(object, member)) {
    // Applying would change nothing: save the request (most objects on most runs).
    return { ref, action: 'unchanged' };
  }
  try {
    checkLease(run);
    const before = run.knownVersions.has(key)
      ? run.knownVersions.get(key)
      : (await run.client.get(ref))?.metadata.resourceVersion;
    const after = await run.client.apply(object, { force: !run.options.failOnConflict });
    const created = before === undefined || (run.createdHome && object.kind === 'Namespace');
    const action: ChangeAction = created
      ? 'created'
      : before === after.metadata.resourceVersion
        ? 'unchanged'
        : 'configured';
    return { ref, action };
  } catch (error) {
    if (error instanceof LeaseError) {
      return { ref, action: 'skipped', reason: 'not applied: the lease was lost' };
    }
    if (!(error instanceof KubeError)) throw error;
    const failure = new ApplyError(error.message, {
      object: describeRef(ref),
      cause: error,
      hint:
        error.status === 409 && run.options.failOnConflict
          ? 'another field manager changed fields Git declares, and the app sets failOnConflict: take them back by unsetting it, or change Git'
          : error.hint,
    });
    run.errors.push(failure);
    return { ref, action: 'failed', error: failure };
  }
}

/** Polls CRDs until their `Established` condition is true. */
async function waitEstablished(run: Run, crds: readonly KubeObject[]): Promise<void> {
  const timeoutMs = run.options.crdTimeoutMs ?? 60_000;
  const deadline = run.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await run.client.get(refOf(crd));
      const conditions =
        (live?.status as { conditions?: { type: string; status: string }[] } | undefined)
          ?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (run.now() >= deadline) {
        throw new ApplyError(`${describeRef(refOf(crd))}: not established after ${timeoutMs} ms`, {
          object: describeRef(refOf(crd)),
          hint: 'check the CRD for NamesAccepted conflicts (kubectl describe crd)',
        });
      }
      await run.sleep(200);
    }
  }
  run.client.invalidateDiscovery();
}

/**
 * Step 3: Namespaces and CRDs one by one, then (once the CRDs are established) the rest, kind
 * by kind in apply order; objects of one kind concurrently (`applyRanks` says why that is
 * safe). A failure of the first stage skips the rest; a failure later does not stop other
 * kinds (as kubectl), but it stops pruning.
 */
async function applyStages(run: Run, preSyncOk: boolean): Promise<void> {
  const targets = run.options.heal?.targets;
  const desired = targets ? run.desired.filter((o) => targets.has(refKey(refOf(o)))) : run.desired;
  if (!preSyncOk) {
    for (const object of desired) {
      run.entries.push({
        ref: refOf(object),
        action: 'skipped',
        reason: 'not applied: a PreSync hook failed',
      });
    }
    return;
  }
  const first = desired.filter(isFirstStage);
  const rest = desired.filter((o) => !isFirstStage(o));
  let done = 0;
  const progress = () => run.options.onProgress?.({ stage: 'apply', done, total: desired.length });
  const applyCounted = async (object: KubeObject) => {
    const entry = await applyObject(run, object);
    done += 1;
    progress();
    return entry;
  };
  progress();
  for (const object of first) run.entries.push(await applyCounted(object));
  if (run.errors.length === 0) {
    const crds = first.filter((o) => o.kind === 'CustomResourceDefinition');
    try {
      if (crds.length > 0) await waitEstablished(run, crds);
    } catch (error) {
      if (!(error instanceof PlumblineError)) throw error;
      run.errors.push(error);
    }
  }
  if (run.errors.length > 0) {
    for (const object of rest) {
      run.entries.push({
        ref: refOf(object),
        action: 'skipped',
        reason: 'not applied: the first stage (Namespaces, CRDs) failed',
      });
    }
    return;
  }
  for (const rank of applyRanks(rest)) {
    run.entries.push(...(await mapLimit(rank, run.options.concurrency ?? 8, applyCounted)));
  }
}

/**
 * Step 4: deletes members that left the set, in reverse apply order, guarded: never after a
 * failure, never more than half the set without opt-in, never one marked
 * `plumbline.dev/prune: disabled`, never a CRD or Namespace holding what the app does not own.
 */
async function pruneLeaving(run: Run): Promise<void> {
  if (run.stopped || run.options.heal) return;
  const { client, inv } = run;
  let members: KubeObject[] = [];
  try {
    members = inv.live
      ? await listMembers(client, { ...inv, namespaces: run.union.namespaces })
      : [];
  } catch (error) {
    if (!(error instanceof KubeError)) throw error;
    run.errors.push(
      new PruneError(
        `${describeRef(inv.parent)}: cannot list the set's members: ${error.message}`,
        {
          object: describeRef(inv.parent),
          cause: error,
          hint: error.hint,
        },
      ),
    );
    return;
  }
  const wanted = new Set(run.desired.map((o) => refKey(refOf(o))));
  const leaving = applyOrder(members.filter((m) => !wanted.has(refKey(refOf(m))))).reverse();
  if (leaving.length === 0) {
    run.prunedAll = true;
    return;
  }
  const skip = (reason: string) => {
    for (const member of leaving)
      run.entries.push({ ref: refOf(member), action: 'skipped', reason });
  };
  if (run.options.prune === false) return skip('not pruned: pruning is off');
  if (run.errors.length > 0) return skip('not pruned: an earlier step failed');
  const disabled = (m: KubeObject) =>
    m.metadata.annotations?.[plumblineAnnotations.prune] === 'disabled';
  const deletable = leaving.filter((m) => !disabled(m));
  if (deletable.length * 2 > members.length && !run.options.allowMassPrune) {
    const refusal = new PruneError(
      `${describeRef(inv.parent)}: ${deletable.length} of ${members.length} members would be pruned: more than half of the set`,
      {
        object: describeRef(inv.parent),
        hint: 'if that is intended, pass --allow-mass-prune',
        refused: true,
      },
    );
    run.errors.push(refusal);
    return skip(`not pruned: ${refusal.message}`);
  }
  let complete = true;
  let pruned = 0;
  for (const member of leaving) {
    const ref = refOf(member);
    if (disabled(member)) {
      run.entries.push({
        ref,
        action: 'skipped',
        reason: `kept: ${plumblineAnnotations.prune}=disabled`,
      });
      complete = false;
      continue;
    }
    if (run.stopped) {
      run.entries.push({ ref, action: 'skipped', reason: 'not pruned: the lease was lost' });
      complete = false;
      continue;
    }
    const entry = await pruneMember(run, member, wanted);
    if (entry.action !== 'deleted') complete = false;
    run.entries.push(entry);
    pruned += 1;
    run.options.onProgress?.({ stage: 'prune', done: pruned, total: deletable.length });
  }
  run.prunedAll = complete;
}

/** Deletes one member (after the CRD/Namespace guard), with uid and resourceVersion preconditions. */
async function pruneMember(
  run: Run,
  member: KubeObject,
  desiredKeys: ReadonlySet<string>,
): Promise<ChangeEntry> {
  const ref = refOf(member);
  try {
    if (holdsObjects(ref)) {
      const hazard = await pruneHazard(run.client, member, {
        applySetId: run.inv.id,
        homeNamespace: run.input.namespace,
        desiredKeys,
        ...(run.options.pruneContents ? { pruneContents: true } : {}),
      });
      if (hazard && !hazard.allowed) {
        const refusal = new PruneError(hazard.message, {
          object: describeRef(ref),
          hint: hazardHint(hazard),
          refused: true,
        });
        run.errors.push(refusal);
        return { ref, action: 'skipped', reason: hazard.message, error: refusal };
      }
    }
    checkLease(run);
    await run.client.delete(ref, {
      preconditions: { uid: member.metadata.uid, resourceVersion: member.metadata.resourceVersion },
      propagationPolicy: 'Background',
    });
    return { ref, action: 'deleted' };
  } catch (error) {
    if (error instanceof LeaseError)
      return { ref, action: 'skipped', reason: 'not pruned: the lease was lost' };
    if (!(error instanceof KubeError)) throw error;
    const failure = new PruneError(`${describeRef(ref)}: prune failed: ${messageOf(error)}`, {
      object: describeRef(ref),
      cause: error,
      hint: error.hint,
    });
    run.errors.push(failure);
    return { ref, action: 'failed', error: failure };
  }
}

/** The stage a failure belongs to, as recorded in the failed marker. */
function stageOf(error: PlumblineError): string {
  return error.stage === 'kube' ? 'apply' : error.stage;
}

/** Writes the record on the parent; a failure to write it is itself a failure of the run. */
async function writeRecord(
  run: Run,
  set: { groupKinds: string[]; namespaces: string[] },
  record: Record<string, string>,
): Promise<void> {
  await guarded(run, async () => {
    checkLease(run);
    try {
      await run.client.apply(parentObject(run.inv, set, record), { force: true });
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      run.errors.push(
        new ApplyError(
          `${describeRef(run.inv.parent)}: could not record the outcome: ${error.message}`,
          {
            object: describeRef(run.inv.parent),
            cause: error,
            hint: 'the objects are applied; the next run records them',
          },
        ),
      );
    }
  });
}

/** The record of a failed run: the last good one kept, plus the failed marker. */
function failedRecord(
  run: Run,
  previous: Record<string, string>,
  stage: string,
): Record<string, string> {
  return {
    ...previous,
    [plumblineAnnotations.failed]: stage,
    [plumblineAnnotations.failedRevision]: run.input.revision,
    [plumblineAnnotations.failedAt]: new Date(run.now()).toISOString(),
  };
}

function withoutFailure(record: Record<string, string>): Record<string, string> {
  const {
    [plumblineAnnotations.failed]: _stage,
    [plumblineAnnotations.failedRevision]: _revision,
    [plumblineAnnotations.failedAt]: _at,
    ...rest
  } = record;
  return rest;
}

/**
 * Step 5: the record. A complete run records its revision and digest (and the final set);
 * a failed one keeps the last good record and adds the failed marker (and keeps the union, so
 * members left behind stay findable). A heal records when it healed and the desired set.
 */
async function recordOutcome(run: Run): Promise<void> {
  if (run.stopped) return;
  const previous = withoutFailure(currentRecord(run.inv));
  const next = membership(run.desired, run.input.namespace);
  const first = run.errors[0];
  if (first) {
    await writeRecord(run, run.union, failedRecord(run, previous, stageOf(first)));
    return;
  }
  if (run.options.heal) {
    await writeRecord(run, run.union, {
      ...previous,
      [plumblineAnnotations.healedAt]: new Date(run.now()).toISOString(),
    });
    return;
  }
  await writeRecord(run, run.prunedAll ? next : run.union, {
    ...(previous[plumblineAnnotations.healedAt]
      ? { [plumblineAnnotations.healedAt]: previous[plumblineAnnotations.healedAt] }
      : {}),
    [plumblineAnnotations.revision]: run.input.revision,
    [plumblineAnnotations.digest]: run.digest,
    [plumblineAnnotations.appliedAt]: new Date(run.now()).toISOString(),
  });
}

/** Step 6: waits for rollouts; an unhealthy one fails the run and is marked for retry. */
async function waitForHealth(run: Run): Promise<void> {
  // PostSync hooks run once the apply is healthy (Argo CD), so they wait for it too.
  const health =
    run.options.health ?? (hasHooks(run, 'PostSync') ? { timeoutMs: 300_000 } : undefined);
  if (!health || run.errors.length > 0 || run.stopped) return;
  const results = await waitHealthy(run.client, run.desired.map(refOf), {
    ...health,
    now: run.now,
    sleep: run.sleep,
    ...(run.options.onProgress ? { onProgress: run.options.onProgress } : {}),
  });
  for (const entry of run.entries) {
    const result = results.get(refKey(entry.ref));
    if (!result) continue;
    entry.health = result;
    if (result.state !== 'healthy') {
      run.errors.push(
        new HealthError(
          `${describeRef(entry.ref)}: ${result.state === 'failed' ? 'failed' : 'not ready in time'}: ${result.message}`,
          {
            object: describeRef(entry.ref),
            hint:
              result.state === 'failed'
                ? 'look at the rollout (kubectl rollout status) and fix the manifest'
                : 'the rollout may still finish; wait longer, or look at its pods',
          },
        ),
      );
    }
  }
  if (run.errors.length > 0) await markFailedAfterRecord(run, 'health');
}

/** A failure after the outcome was recorded (health, PostSync hooks): mark it for retry. */
async function markFailedAfterRecord(run: Run, stage: string): Promise<void> {
  const recorded = await readInventory(run.client, run.input.app, run.input.namespace).catch(
    () => run.inv,
  );
  run.inv = recorded;
  const previous = withoutFailure(currentRecord(recorded));
  const set = { groupKinds: recorded.groupKinds, namespaces: recorded.namespaces };
  await writeRecord(run, set, failedRecord(run, previous, stage));
}

function hasHooks(run: Run, phase: HookPhase): boolean {
  return run.hooks.hooks.some((h) => h.phases.includes(phase));
}

/**
 * Runs the Helm hooks of a phase (see `helm-hooks.ts`): PreSync before anything is applied,
 * PostSync after a healthy run. Returns whether every hook of the phase succeeded; a failed
 * one is an error of the run (so nothing is pruned after a failed PreSync).
 */
async function runHooks(run: Run, phase: HookPhase): Promise<boolean> {
  if (!hasHooks(run, phase)) return true;
  if (run.stopped || run.errors.length > 0) return false;
  const { hooks, hookObjects } = run;
  const outcomes = await runHookPhase(phase, hooks.hooks, {
    client: run.client,
    resolve: (object) => hookObjects[hooks.hooks.findIndex((h) => h.object === object)] ?? object,
    force: !run.options.failOnConflict,
    timeoutMs: run.options.health?.timeoutMs ?? 300_000,
    now: run.now,
    sleep: run.sleep,
  });
  for (const outcome of outcomes) {
    const ref = refOf(outcome.object);
    if (outcome.ok) {
      run.entries.push({ ref, action: 'created' });
      continue;
    }
    const failure = new ApplyError(outcome.error ?? `${phase} hook failed`, {
      object: describeRef(ref),
      hint: `the ${phase} hook failed: look at its Job or Pod, fix the chart or its values`,
    });
    run.errors.push(failure);
    run.entries.push({ ref, action: 'failed', error: failure });
  }
  return outcomes.every((o) => o.ok);
}

/** Frees the lease; a failure to do so is a warning (the lease expires by itself), never the result. */
async function releaseLease(run: Run): Promise<void> {
  const release = await run.lease?.release();
  if (release?.error && release.error !== run.stopped) run.warnings.push(release.error);
  run.releaseOutcome = release?.released ?? false;
}

/** The finished run as a `ChangeSet`. */
function changeSetOf(run: Run): ChangeSet {
  return {
    app: run.input.app,
    namespace: run.input.namespace,
    revision: run.input.revision,
    digest: run.digest,
    applySetId: run.inv.id,
    entries: run.entries,
    ok: run.errors.length === 0,
    errors: run.errors,
    warnings: run.warnings,
    ...(run.lease
      ? {
          lease: {
            identity: run.lease.identity,
            ...(run.lease.takeover ? { takeover: run.lease.takeover } : {}),
            released: run.releaseOutcome === true,
          },
        }
      : {}),
    startedAt: run.startedAt,
    finishedAt: new Date(run.now()).toISOString(),
  };
}
