/**
 * Drift detection, cheaply: one GET of the ApplySet parent and one LIST per group-kind of the
 * set, then a local check that every field Plumbline sets still holds its value. Only objects
 * that look drifted cost a server-side dry run, which rules out false alarms from defaulting
 * and canonical forms. Each drifted field is attributed to the field manager that now owns it.
 */

import { type ChangeEntry, type ChangeSet, changeSetOf } from '../apply/apply.ts';
import { type Inventory, listMembers, membership, readInventory } from '../apply/applyset.ts';
import { acquireLease } from '../apply/lease.ts';
import { describeRef, type ObjectRef, refKey, refOf } from '../core/object.ts';
import { messageOf } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { plumblineFieldManager } from '../kube/client.ts';
import { resolveDesired } from '../plan/desired.ts';
import { jsonEqual, normalizeObject } from '../plan/normalize.ts';
import { type AppInput, objectDiff } from '../plan/plan.ts';
import { changedPaths, fieldOwners, formatPath, unheldPaths } from './field-owners.ts';

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

/** Puts drifted and missing objects back to their desired state (force), under the app lease. */
export async function healDrift(
  input: AppInput,
  report: DriftReport,
  client: KubeClient,
  options: { holder: string; lease?: { waitMs?: number; durationMs?: number } },
): Promise<ChangeSet> {
  const startedAt = new Date().toISOString();
  const inv = await readInventory(client, input.app, input.namespace);
  const desired = await resolveDesired(input.objects, input.namespace, client, inv.id, input);
  const targets = new Set([
    ...report.drifted.map((d) => refKey(d.ref)),
    ...report.missing.map(refKey),
  ]);
  const entries: ChangeEntry[] = [];
  const errors: string[] = [];
  const lease = await acquireLease(client, inv, { holder: options.holder, ...options.lease });
  try {
    for (const object of desired) {
      const ref = refOf(object);
      if (!targets.has(refKey(ref))) continue;
      try {
        await client.apply(object, { force: true });
        entries.push({
          ref,
          action: report.missing.some((m) => refKey(m) === refKey(ref)) ? 'created' : 'configured',
        });
      } catch (error) {
        const message = `${describeRef(ref)}: self-heal failed: ${messageOf(error)}`;
        entries.push({ ref, action: 'failed', error: message });
        errors.push(message);
      }
    }
  } finally {
    await lease.release();
  }
  return changeSetOf(input, inv.id, entries, errors, startedAt, Date.now());
}

/** A one-line summary of a drift report. */
export function describeDrift(report: DriftReport): string {
  if (report.inSync) return `${report.app}: in sync (${report.checked} objects)`;
  const parts = report.drifted.map(
    (d) =>
      `${describeRef(d.ref)} (${d.fields.map((f) => `${f.path} by ${f.managers.join(', ') || 'unknown'}`).join('; ')})`,
  );
  return [
    `${report.app}: ${report.drifted.length} drifted, ${report.missing.length} missing, ${report.extra.length} extra`,
    ...parts.map((p) => `  drifted ${p}`),
    ...report.missing.map((m) => `  missing ${describeRef(m)}`),
    ...report.extra.map((m) => `  extra ${describeRef(m)}`),
  ].join('\n');
}
