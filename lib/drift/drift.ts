/**
 * Drift detection, cheaply: one GET of the ApplySet parent and one LIST per group-kind of the
 * set, then a local check that every field Plumbline sets still holds its value. Only objects
 * that look drifted cost a server-side dry run, which rules out false alarms from defaulting
 * and canonical forms. Each drifted field is attributed to the field manager that now owns it.
 */

import { type ApplyPlanOptions, applyPlan, type ChangeSet } from '../apply/apply.ts';
import { type ObjectRef, refKey, refOf } from '../core/object.ts';
import type { AppInput } from '../desired/app-input.ts';
import { jsonEqual, normalizeObject } from '../desired/normalize.ts';
import { resolveDesired } from '../desired/resolve-desired.ts';
import { type Inventory, listMembers, membership, readInventory } from '../inventory/applyset.ts';
import type { KubeClient } from '../kube/client.ts';
import { plumblineFieldManager } from '../kube/client.ts';
import { changedPaths, fieldOwners, formatPath, unheldPaths } from '../kube/field-owners.ts';
import { objectDiff } from '../plan/plan.ts';

/** One drifted field and who changed it (`[]`: removed, owner unknown). */
export interface DriftedField {
  path: string;
  managers: string[];
}

/** One drifted object. */
export interface DriftedObject {
  ref: ObjectRef;
  fields: DriftedField[];
  /** Masked diff from live to desired. */
  diff: string;
}

/** The drift of an app: plain data. */
export interface DriftReport {
  app: string;
  namespace: string;
  applySetId: string;
  /** The revision recorded on the parent (last applied). */
  appliedRevision?: string;
  drifted: DriftedObject[];
  /** Desired objects not in the cluster (or no longer labelled as members). */
  missing: ObjectRef[];
  /** Members of the set that the desired state does not have (joined from elsewhere). */
  extra: ObjectRef[];
  /** Objects checked. */
  checked: number;
  inSync: boolean;
}

/** Finds drift between an app's desired objects and the cluster. */
export async function detectDrift(
  input: AppInput,
  client: KubeClient,
  options: { inventory?: Inventory } = {},
): Promise<DriftReport> {
  const inv = options.inventory ?? (await readInventory(client, input.app, input.namespace));
  const desired = await resolveDesired(input.objects, input.namespace, client, inv.id, input);
  const set = membership(desired, input.namespace);
  // List the recorded kinds, plus desired kinds never recorded (they would all be missing).
  const recorded = {
    ...inv,
    namespaces: [...new Set([...inv.namespaces, ...set.namespaces])].sort(),
  };
  const members = inv.live ? await listMembers(client, recorded, set.groupKinds) : [];
  const live = new Map(members.map((m) => [refKey(refOf(m)), m]));
  const report: DriftReport = {
    app: input.app,
    namespace: input.namespace,
    applySetId: inv.id,
    ...(inv.revision ? { appliedRevision: inv.revision } : {}),
    drifted: [],
    missing: [],
    extra: [],
    checked: desired.length,
    inSync: true,
  };
  const wanted = new Set<string>();
  for (const object of desired) {
    const ref = refOf(object);
    wanted.add(refKey(ref));
    const current = live.get(refKey(ref));
    if (!current) {
      report.missing.push(ref);
      continue;
    }
    if (unheldPaths(object, current).length === 0) continue;
    // Looks drifted: ask the server what applying would change.
    const planned = await client.apply(object, { dryRun: true, force: true });
    const before = normalizeObject(current);
    const after = normalizeObject(planned);
    if (jsonEqual(before, after)) continue;
    const fields = changedPaths(before, after).map((path) => ({
      path: formatPath(path),
      managers: fieldOwners(current, path, [plumblineFieldManager]),
    }));
    // Sensitivity is in the objects' marks (`resolveDesired`); values in the job's ledger.
    const mask = input.secrets ? { secrets: input.secrets } : {};
    report.drifted.push({ ref, fields, diff: objectDiff(ref, current, planned, mask) });
  }
  for (const member of members) {
    if (!wanted.has(refKey(refOf(member)))) report.extra.push(refOf(member));
  }
  report.inSync =
    report.drifted.length === 0 && report.missing.length === 0 && report.extra.length === 0;
  return report;
}

/**
 * Puts drifted and missing objects back to their desired state under the app's lease, taking
 * back the fields Git declares, and records the heal (and the app's full set) on the parent.
 */
export async function healDrift(
  input: AppInput,
  report: DriftReport,
  client: KubeClient,
  options: Omit<ApplyPlanOptions, 'heal'>,
): Promise<ChangeSet> {
  const targets = new Set([
    ...report.drifted.map((d) => refKey(d.ref)),
    ...report.missing.map(refKey),
  ]);
  return applyPlan(input, client, { ...options, heal: { targets } });
}
