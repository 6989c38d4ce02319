/**
 * `planApp`: what applying an app would change. For every desired object the live object and
 * a server-side-apply dry run give a normalized, masked diff and an action; members of the
 * ApplySet that left the set become deletions. The result is plain data (a `Plan`) that the
 * CLI, pull request comments and `applyPlan` all read.
 */

import { splitHelmHooks } from '../apply/helm-hooks.ts';
import { applyOrder } from '../apply/order.ts';
import { sha256Digest } from '../core/encoding.ts';
import { mapLimit } from '../core/map-limit.ts';
import { groupKind, type KubeObject, type ObjectRef, refKey, refOf } from '../core/object.ts';
import type { AppInput } from '../desired/app-input.ts';
import { objectsDigest } from '../desired/digest.ts';
import { appliesAsNoOp } from '../desired/no-op.ts';
import { jsonEqual, normalizeObject } from '../desired/normalize.ts';
import { resolveDesired } from '../desired/resolve-desired.ts';
import { KubeError, PlanError } from '../errors.ts';
import {
  type Inventory,
  listMembers,
  plumblineAnnotations,
  readInventory,
} from '../inventory/applyset.ts';
import { hazardHint, holdsObjects, pruneHazard } from '../inventory/prune-guard.ts';
import type { KubeClient } from '../kube/client.ts';
import { plumblineFieldManager } from '../kube/client.ts';
import { isKubeStatus } from '../kube/errors.ts';
import { changedPaths, fieldOwners, formatPath, type PathStep } from '../kube/field-owners.ts';
import {
  generatedSibling,
  isMarkedSensitive,
  type MaskOptions,
  maskPair,
} from '../secrets/mask.ts';
import { diffYaml } from './diff-yaml.ts';
import { planDigest } from './digest.ts';
import { unifiedDiff } from './unified-diff.ts';

/** What applying would do to one object. */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete';

/** A field another manager changed, which the apply takes back (drift). */
export interface FieldChange {
  path: string;
  /** The managers that own the field now, most recent first. */
  managers: string[];
}

/** One object of a plan. */
export interface PlanEntry {
  ref: ObjectRef;
  apiVersion: string;
  action: PlanAction;
  /** Unified diff of the normalized YAML, secrets masked; `''` when unchanged. */
  diff: string;
  /** The live resourceVersion the plan saw (absent for creations). */
  liveResourceVersion?: string | undefined;
  /**
   * Drift: fields Git declares that another field manager changed since Plumbline applied
   * them; the apply takes them back (unless the app sets `failOnConflict`).
   */
  changedBy?: FieldChange[];
  /** Why the action is what it is, when not obvious (drift, prune disabled, created by a CRD). */
  note?: string;
  /** The apply would fail here: the dry run failed, or a prune guard refuses the deletion. */
  error?: string;
}

/** The outcome of planning an app: plain data. */
export interface Plan {
  app: string;
  namespace: string;
  revision: string;
  applySetId: string;
  /**
   * Binds the plan to what it was computed from: the rendered (masked) objects and the live
   * state as far as it decides the outcome (each object's action and changed fields, masked).
   * A deploy recomputes it at the merged commit: equal digests mean the apply does what was
   * reviewed.
   */
  digest: string;
  /** The two halves of `digest`, to tell whether the source or the cluster moved. */
  digests: { desired: string; live: string };
  entries: PlanEntry[];
  summary: Record<PlanAction, number> & { errors: number; drifted: number };
  /** What the reviewer should know beyond the entries (refused deletions, counted). */
  warnings: string[];
}

/** Options of `planApp`. */
export interface PlanOptions {
  /** Plan as `applyPlan` with `failOnConflict` applies: conflicts are errors, not drift. */
  failOnConflict?: boolean;
  /** The app allows pruning CRDs and Namespaces with foreign contents. */
  pruneContents?: boolean;
  /** Requests at once (default 16). */
  concurrency?: number;
}

/** An entry and what of it binds the plan's digest. */
interface Planned {
  entry: PlanEntry;
  /** Masked and normalized: the fields that change, with their live and planned values. */
  binding: unknown;
}

function toYaml(object: KubeObject | undefined): string {
  return object ? diffYaml(object) : '';
}

/** The masked unified diff between live and planned objects, both normalized. */
export function objectDiff(
  ref: ObjectRef,
  live: KubeObject | undefined,
  planned: KubeObject | undefined,
  mask: MaskOptions,
): string {
  const masked = maskPair(live && normalizeObject(live), planned && normalizeObject(planned), mask);
  const name = `${groupKind(ref)}.${ref.namespace ? `${ref.namespace}.` : ''}${ref.name}`;
  return unifiedDiff(toYaml(masked.before), toYaml(masked.after), {
    before: `live/${name}`,
    after: `merged/${name}`,
  });
}

/** The value at a path of a normalized object. */
function valueAt(value: unknown, path: readonly PathStep[]): unknown {
  let node = value;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node =
      'key' in step ? (node as Record<string, unknown>)[step.key] : (node as unknown[])[step.index];
  }
  return node;
}

/** What of one object binds the digest: its changed fields, masked, with both values. */
function bindingOf(
  action: PlanAction,
  live: KubeObject | undefined,
  planned: KubeObject | undefined,
  mask: MaskOptions,
): unknown {
  if (action === 'unchanged') return action;
  const masked = maskPair(live && normalizeObject(live), planned && normalizeObject(planned), mask);
  if (!masked.before || !masked.after) return [action, masked.before ?? masked.after ?? null];
  return [
    action,
    changedPaths(masked.before, masked.after).map((path) => [
      formatPath(path),
      valueAt(masked.before, path) ?? null,
      valueAt(masked.after, path) ?? null,
    ]),
  ];
}

/** The note of a drifted object: which fields the apply takes back, from whom. */
function driftNote(changes: readonly FieldChange[]): string {
  const fields = changes.map((c) => `${c.path} (${c.managers.join(', ')})`).join(', ');
  return `drift: the apply takes back ${fields}`;
}

/** Plans one desired object against its live state. */
async function planObject(
  object: KubeObject,
  live: KubeObject | undefined,
  client: KubeClient,
  options: PlanOptions & { mask: MaskOptions; force: boolean },
): Promise<Planned> {
  const ref = refOf(object);
  const base = { ref, apiVersion: object.apiVersion };
  const liveResourceVersion = live?.metadata.resourceVersion;
  if (live && appliesAsNoOp(object, live)) {
    return {
      entry: { ...base, action: 'unchanged', diff: '', liveResourceVersion },
      binding: 'unchanged',
    };
  }
  let planned: KubeObject;
  try {
    planned = await client.apply(object, { dryRun: true, force: options.force });
  } catch (error) {
    const kindMissing = error instanceof KubeError && error.reason === 'NoKindMatch';
    const namespaceMissing = !live && isKubeStatus(error, 404);
    if (kindMissing || namespaceMissing) {
      // Created in an earlier stage of the same apply (CRD or Namespace): show the manifest.
      return {
        entry: {
          ...base,
          action: 'create',
          diff: objectDiff(ref, undefined, object, options.mask),
          note: kindMissing
            ? 'its CRD is created by this apply'
            : 'its namespace is created by this apply',
        },
        binding: bindingOf('create', undefined, object, options.mask),
      };
    }
    if (live && !options.force && isKubeStatus(error, 409)) {
      // failOnConflict: show what forcing would take back, and who changed it, while keeping
      // the conflict as the entry's error (the apply would fail).
      const forced = await planObject(object, live, client, { ...options, force: true });
      return {
        entry: {
          ...forced.entry,
          error: error.message,
          note: 'conflicts with another field manager, and the app sets failOnConflict: the apply fails',
        },
        binding: ['conflict', forced.binding],
      };
    }
    if (error instanceof KubeError) {
      const action = live ? 'update' : 'create';
      return {
        entry: { ...base, action, diff: '', liveResourceVersion, error: error.message },
        binding: ['error', action, error.status, error.reason ?? ''],
      };
    }
    throw error;
  }
  if (!live) {
    return {
      entry: {
        ...base,
        action: 'create',
        diff: objectDiff(ref, undefined, planned, options.mask),
      },
      binding: bindingOf('create', undefined, planned, options.mask),
    };
  }
  const before = normalizeObject(live);
  const after = normalizeObject(planned);
  if (jsonEqual(before, after)) {
    return {
      entry: { ...base, action: 'unchanged', diff: '', liveResourceVersion },
      binding: 'unchanged',
    };
  }
  const changedBy = changedPaths(before, after)
    .map((path) => ({
      path: formatPath(path),
      managers: fieldOwners(live, path, [plumblineFieldManager]),
    }))
    .filter((change) => change.managers.length > 0);
  return {
    entry: {
      ...base,
      action: 'update',
      diff: objectDiff(ref, live, planned, options.mask),
      liveResourceVersion,
      ...(changedBy.length > 0 ? { changedBy, note: driftNote(changedBy) } : {}),
    },
    binding: bindingOf('update', live, planned, options.mask),
  };
}

/** From this many objects of one kind in one namespace, one LIST is cheaper than a GET each. */
const listThreshold = 4;

/**
 * Fetches live objects for desired objects that are not (yet) members, one LIST per kind and
 * namespace where many share one, adding them to `liveByKey`. Returns the keys whose liveness
 * is now known (found or absent), so they need no GET.
 */
async function listUnknown(
  desired: readonly KubeObject[],
  liveByKey: Map<string, KubeObject>,
  client: KubeClient,
): Promise<Set<string>> {
  const groups = new Map<string, ObjectRef[]>();
  for (const object of desired) {
    const ref = refOf(object);
    if (liveByKey.has(refKey(ref))) continue;
    const key = `${ref.group}|${ref.kind}|${ref.namespace}`;
    groups.set(key, [...(groups.get(key) ?? []), ref]);
  }
  const known = new Set<string>();
  for (const refs of groups.values()) {
    const first = refs[0] as ObjectRef;
    if (refs.length < listThreshold) continue;
    try {
      const { items } = await client.list(
        first,
        first.namespace ? { namespace: first.namespace } : {},
      );
      for (const item of items) liveByKey.set(refKey(refOf(item)), item);
      for (const ref of refs) known.add(refKey(ref));
    } catch (error) {
      // Not listable (no RBAC for list, kind not yet installed): fall back to one GET each.
      if (!(error instanceof KubeError)) throw error;
    }
  }
  return known;
}

/** Plans an app: dry runs, diffs, prune candidates (with their guards) and a digest. */
export async function planApp(
  input: AppInput,
  client: KubeClient,
  inventory?: Inventory,
  options: PlanOptions = {},
): Promise<Plan> {
  const inv = inventory ?? (await readInventory(client, input.app, input.namespace));
  // Helm hooks are run by apply, not kept in the set: they are not planned as members.
  const desired = applyOrder(
    await resolveDesired(
      splitHelmHooks(input.objects).resources,
      input.namespace,
      client,
      inv.id,
      input,
    ),
  );
  const mask: MaskOptions = input.secrets ? { secrets: input.secrets } : {};
  const desiredKeys = new Set(desired.map((o) => refKey(refOf(o))));
  // Live members come from one LIST per group-kind; only objects outside the set need a GET.
  const members = inv.live ? await listMembers(client, inv) : [];
  const liveByKey = new Map(members.map((m) => [refKey(refOf(m)), m]));
  const listed = await listUnknown(desired, liveByKey, client);
  const force = !options.failOnConflict;
  const planned = await mapLimit(desired, options.concurrency ?? 16, async (object) => {
    const ref = refOf(object);
    let live = liveByKey.get(refKey(ref));
    if (!live && !listed.has(refKey(ref))) {
      try {
        live = await client.get(ref);
      } catch (error) {
        if (
          !(error instanceof KubeError && (error.reason === 'NoKindMatch' || error.status === 404))
        )
          throw error;
      }
    }
    if (live) liveByKey.set(refKey(ref), live);
    // Sensitivity is in the object's mark (`resolveDesired`), and in the live object's.
    return planObject(object, live, client, { ...options, mask, force });
  });
  const warnings: string[] = [];
  const leaving = applyOrder(members.filter((m) => !desiredKeys.has(refKey(refOf(m))))).reverse();
  const sensitiveRefs = desired.filter(isMarkedSensitive).map(refOf);
  for (const member of leaving) {
    const memberMask = { ...mask, sensitive: generatedSibling(refOf(member), sensitiveRefs) };
    planned.push(
      await planDeletion(
        member,
        memberMask,
        inv,
        input.namespace,
        desiredKeys,
        client,
        options,
        warnings,
      ),
    );
  }
  const deletions = planned.filter((p) => p.entry.action === 'delete').length;
  if (deletions * 2 > members.length && deletions > 0) {
    warnings.push(
      `${deletions} of ${members.length} members would be pruned: more than half of the set; the apply refuses it unless --allow-mass-prune is given`,
    );
  }
  const entries = planned.map((p) => p.entry);
  const summary = { create: 0, update: 0, unchanged: 0, delete: 0, errors: 0, drifted: 0 };
  for (const entry of entries) {
    summary[entry.action]++;
    if (entry.error) summary.errors++;
    if (entry.changedBy) summary.drifted++;
  }
  if (desired.length === 0 && members.length === 0 && !inv.live) {
    throw new PlanError(`${input.app}: nothing to plan: the app renders no objects and owns none`, {
      hint: 'check the app path',
    });
  }
  const digests = {
    // The objects as applied (marked and masked, the job's values redacted), not the render's
    // digest: a value that travelled out of a decrypted file must not enter a shown hash.
    desired: await objectsDigest(desired, {
      ...(input.sensitive ? { sensitive: input.sensitive } : {}),
      ...(input.secrets ? { secrets: input.secrets } : {}),
    }),
    live: await sha256Digest(
      JSON.stringify(
        planned
          .map((p) => [refKey(p.entry.ref), p.binding] as const)
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    ),
  };
  return {
    app: input.app,
    namespace: input.namespace,
    revision: input.revision,
    applySetId: inv.id,
    digest: await planDigest(digests),
    digests,
    entries,
    summary,
    warnings,
  };
}

/** A member that left the set: a deletion, kept (prune disabled), or refused by a guard. */
async function planDeletion(
  member: KubeObject,
  mask: MaskOptions,
  inv: Inventory,
  homeNamespace: string,
  desiredKeys: ReadonlySet<string>,
  client: KubeClient,
  options: PlanOptions,
  warnings: string[],
): Promise<Planned> {
  const ref = refOf(member);
  const base = {
    ref,
    apiVersion: member.apiVersion,
    liveResourceVersion: member.metadata.resourceVersion,
  };
  if (member.metadata.annotations?.[plumblineAnnotations.prune] === 'disabled') {
    return {
      entry: {
        ...base,
        action: 'unchanged',
        diff: '',
        note: `left the set but kept: ${plumblineAnnotations.prune}=disabled`,
      },
      binding: 'kept',
    };
  }
  const entry: PlanEntry = {
    ...base,
    action: 'delete',
    diff: objectDiff(ref, member, undefined, mask),
  };
  const hazard = holdsObjects(ref)
    ? await pruneHazard(client, member, {
        applySetId: inv.id,
        homeNamespace,
        desiredKeys,
        ...(options.pruneContents ? { pruneContents: true } : {}),
      })
    : undefined;
  if (hazard && !hazard.allowed) {
    warnings.push(hazard.message);
    entry.error = hazard.message;
    entry.note = hazardHint(hazard);
  } else if (hazard && (hazard.foreign > 0 || hazard.desired > 0)) {
    warnings.push(hazard.message);
  }
  return {
    entry,
    binding: [
      'delete',
      hazard ? [hazard.foreign, hazard.desired, hazard.allowed] : null,
      member.metadata.uid ?? '',
    ],
  };
}
