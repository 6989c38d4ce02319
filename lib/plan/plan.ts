/**
 * `planApp`: what applying an app would change. For every desired object the live object and
 * a server-side-apply dry run give a normalized, masked diff and an action; members of the
 * ApplySet that left the set become deletions. The result is plain data (a `Plan`) that the
 * CLI, pull request comments and `applyPlan` all read.
 */

import { stringify } from 'yaml';
import {
  type Inventory,
  listMembers,
  plumblineAnnotations,
  readInventory,
} from '../apply/applyset.ts';
import {
  describeRef,
  groupKind,
  type KubeObject,
  type ObjectRef,
  refKey,
  refOf,
} from '../core/object.ts';
import {
  changedPaths,
  fieldOwners,
  fieldSetCoveredBy,
  formatPath,
  unheldPaths,
} from '../drift/field-owners.ts';
import { KubeError, PlanError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { plumblineFieldManager } from '../kube/client.ts';
import { isKubeStatus } from '../kube/errors.ts';
import {
  generatedSibling,
  isMarkedSensitive,
  type MaskOptions,
  maskPair,
} from '../secrets/mask.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';
import { resolveDesired } from './desired.ts';
import { planDigest } from './digest.ts';
import { jsonEqual, normalizeObject } from './normalize.ts';
import { unifiedDiff } from './unified-diff.ts';

/** What applying would do to one object. */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete';

/** One object of a plan. */
export interface PlanEntry {
  ref: ObjectRef;
  apiVersion: string;
  action: PlanAction;
  /** Unified diff of the normalized YAML, secrets masked; `''` when unchanged. */
  diff: string;
  /** The live resourceVersion the plan saw (absent for creations). */
  liveResourceVersion?: string;
  /** For updates: changed fields last set by another field manager (drift being undone). */
  changedBy?: { path: string; managers: string[] }[];
  /** Why the action is what it is, when not obvious (e.g. prune disabled). */
  note?: string;
  /** The dry run failed: the apply would fail the same way. */
  error?: string;
}

/** The outcome of planning an app: plain data. */
export interface Plan {
  app: string;
  namespace: string;
  revision: string;
  applySetId: string;
  /** Binds commit, rendered objects and live resourceVersions. */
  digest: string;
  entries: PlanEntry[];
  summary: Record<PlanAction, number> & { errors: number };
}

/** What to plan: an app's rendered objects at a revision. */
export interface AppInput {
  /** App name: the ApplySet parent Secret's name. */
  app: string;
  /** The app namespace: default for namespaced objects and home of the parent. */
  namespace: string;
  objects: readonly KubeObject[];
  /** The commit the objects were rendered from. */
  revision: string;
  /** Objects whose values are secret (decrypted from SOPS), by `refKey`; Secrets always are. */
  sensitive?: ReadonlySet<string>;
  /** The job's decrypted values, masked wherever they travelled (the job's secret ledger). */
  secrets?: Redactor;
}

/** Options of `planApp`. */
export interface PlanOptions {
  /** Dry-run with force, as `applyPlan` with `force` would apply. */
  force?: boolean;
  /** Requests at once (default 16). */
  concurrency?: number;
}

/** Runs `task` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await task(items[index] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

function toYaml(object: KubeObject | undefined): string {
  return object ? stringify(object, { lineWidth: 0 }) : '';
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

/**
 * True when applying `object` could not change `live`: every value it sets holds, and
 * Plumbline's applied field set has nothing the object dropped (which apply would remove).
 * Such objects, most of an app on most runs, need no dry run.
 */
export function appliesAsNoOp(object: KubeObject, live: KubeObject): boolean {
  const mine = (live.metadata.managedFields ?? []).filter(
    (e) => e.manager === plumblineFieldManager && e.operation === 'Apply' && !e.subresource,
  );
  if (mine.length !== 1 || mine[0]?.apiVersion !== object.apiVersion) return false;
  return unheldPaths(object, live).length === 0 && fieldSetCoveredBy(mine[0]?.fieldsV1, object);
}

/** Plans one desired object against its live state. */
async function planObject(
  object: KubeObject,
  live: KubeObject | undefined,
  client: KubeClient,
  options: PlanOptions & { mask: MaskOptions },
): Promise<PlanEntry> {
  const ref = refOf(object);
  const base = { ref, apiVersion: object.apiVersion };
  if (live && appliesAsNoOp(object, live)) {
    return {
      ...base,
      action: 'unchanged',
      diff: '',
      liveResourceVersion: live.metadata.resourceVersion,
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
        ...base,
        action: 'create',
        diff: objectDiff(ref, undefined, object, options.mask),
        note: kindMissing
          ? 'its CRD is created by this apply'
          : 'its namespace is created by this apply',
      };
    }
    if (live && !options.force && isKubeStatus(error, 409)) {
      // Fields another manager took (kubectl edit, scale…): show what forcing would undo,
      // and who changed it, while keeping the conflict as the entry's error.
      const forced = await planObject(object, live, client, { ...options, force: true });
      return {
        ...forced,
        error: error.message,
        note: 'conflicts with another field manager: apply with force to take the fields back',
      };
    }
    if (error instanceof KubeError) {
      return {
        ...base,
        action: live ? 'update' : 'create',
        diff: '',
        liveResourceVersion: live?.metadata.resourceVersion,
        error: error.message,
      };
    }
    throw error;
  }
  if (!live) {
    return {
      ...base,
      action: 'create',
      diff: objectDiff(ref, undefined, planned, options.mask),
    };
  }
  const before = normalizeObject(live);
  const after = normalizeObject(planned);
  const liveResourceVersion = live.metadata.resourceVersion;
  if (jsonEqual(before, after))
    return { ...base, action: 'unchanged', diff: '', liveResourceVersion };
  const changedBy = changedPaths(before, after)
    .map((path) => ({ path: formatPath(path), managers: fieldOwners(live, path, ['plumbline']) }))
    .filter((change) => change.managers.length > 0);
  return {
    ...base,
    action: 'update',
    diff: objectDiff(ref, live, planned, options.mask),
    liveResourceVersion,
    ...(changedBy.length > 0 ? { changedBy } : {}),
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

/** Plans an app: dry runs, diffs, prune candidates and a digest. */
export async function planApp(
  input: AppInput,
  client: KubeClient,
  inventory?: Inventory,
  options: PlanOptions = {},
): Promise<Plan> {
  const inv = inventory ?? (await readInventory(client, input.app, input.namespace));
  const desired = await resolveDesired(input.objects, input.namespace, client, inv.id, input);
  const secrets = input.secrets ? { secrets: input.secrets } : {};
  const desiredKeys = new Set(desired.map((o) => refKey(refOf(o))));
  // Live members come from one LIST per group-kind; only objects outside the set need a GET.
  const members = inv.live ? await listMembers(client, inv) : [];
  const liveByKey = new Map(members.map((m) => [refKey(refOf(m)), m]));
  const listed = await listUnknown(desired, liveByKey, client);
  const entries = await mapLimit(desired, options.concurrency ?? 16, async (object) => {
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
    return planObject(object, live, client, { ...options, mask: secrets });
  });
  const sensitiveRefs = desired.filter(isMarkedSensitive).map(refOf);
  for (const member of members) {
    const ref = refOf(member);
    if (desiredKeys.has(refKey(ref))) continue;
    const keep = member.metadata.annotations?.[plumblineAnnotations.prune] === 'disabled';
    entries.push({
      ref,
      apiVersion: member.apiVersion,
      action: keep ? 'unchanged' : 'delete',
      diff: keep
        ? ''
        : objectDiff(ref, member, undefined, {
            ...secrets,
            sensitive: generatedSibling(ref, sensitiveRefs),
          }),
      liveResourceVersion: member.metadata.resourceVersion,
      ...(keep ? { note: `left the set but kept: ${plumblineAnnotations.prune}=disabled` } : {}),
    });
  }
  const versions = new Map<string, string>();
  // Only the app's objects bind the digest, not neighbours a LIST happened to return.
  for (const key of [...desiredKeys, ...members.map((m) => refKey(refOf(m)))]) {
    const live = liveByKey.get(key);
    if (live) versions.set(key, live.metadata.resourceVersion ?? '');
  }
  const summary = { create: 0, update: 0, unchanged: 0, delete: 0, errors: 0 };
  for (const entry of entries) {
    summary[entry.action]++;
    if (entry.error) summary.errors++;
  }
  if (desired.length === 0 && members.length === 0 && !inv.live) {
    throw new PlanError(`${input.app}: nothing to plan: the app renders no objects and owns none`, {
      hint: 'check the app path',
    });
  }
  return {
    app: input.app,
    namespace: input.namespace,
    revision: input.revision,
    applySetId: inv.id,
    digest: await planDigest(input.revision, desired, versions, input.sensitive, input.secrets),
    entries,
    summary,
  };
}

/** Describes an entry for logs. */
export function describeEntry(entry: PlanEntry): string {
  return `${entry.action} ${describeRef(entry.ref)}`;
}
