/**
 * Who changed a field: finds the `managedFields` entries whose field set contains a path, so a
 * drifted `spec.replicas` can be attributed to `kubectl-scale` and an edited image to
 * `kubectl-edit`. Paths are written like `spec.template.spec.containers[name=web].image`.
 */
import {
  isJsonObject,
  type Json,
  type JsonObject,
  type KubeObject,
  type ManagedFieldsEntry,
} from '../core/object.ts';

/** One step of a path: an object key, or a list item identified by key fields or index. */
export type PathStep = { key: string } | { item: Json; index: number };

/** Prints a path for people: `spec.containers[name=web].image`, `args[1]`. */
export function formatPath(path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    if ('key' in step) out += out ? `.${step.key}` : step.key;
    else if (isJsonObject(step.item) && typeof step.item.name === 'string')
      out += `[name=${step.item.name}]`;
    else if (isJsonObject(step.item) && step.item.containerPort !== undefined)
      out += `[containerPort=${String(step.item.containerPort)}]`;
    else out += `[${step.index}]`;
  }
  return out;
}

/** Does the fieldsV1 key `k:{...}` identify this list item? */
function keyMatches(fieldKey: string, item: unknown): boolean {
  if (!isJsonObject(item)) return false;
  try {
    const keys = JSON.parse(fieldKey.slice(2)) as JsonObject;
    return Object.entries(keys).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v));
  } catch {
    return false;
  }
}

/** True if the field set `fields` (fieldsV1) covers `path` or a field beneath it. */
export function fieldSetContains(
  fields: JsonObject | undefined,
  path: readonly PathStep[],
): boolean {
  let node: JsonObject | undefined = fields;
  for (const step of path) {
    if (!node) return false;
    if ('key' in step) {
      const next: unknown = node[`f:${step.key}`];
      node = isJsonObject(next) ? next : undefined;
      continue;
    }
    let next: unknown;
    for (const [fieldKey, value] of Object.entries(node)) {
      if (
        (fieldKey.startsWith('k:') && keyMatches(fieldKey, step.item)) ||
        (fieldKey.startsWith('v:') && fieldKey.slice(2) === JSON.stringify(step.item)) ||
        fieldKey === `i:${step.index}`
      ) {
        next = value;
        break;
      }
    }
    node = isJsonObject(next) ? next : undefined;
  }
  return node !== undefined;
}

/** The managers (other than `exclude`) whose managed fields contain `path`, most recent first. */
export function fieldOwners(
  live: KubeObject,
  path: readonly PathStep[],
  exclude: string[] = [],
): string[] {
  const entries: ManagedFieldsEntry[] = live.metadata.managedFields ?? [];
  return (
    entries
      .filter(
        (e) => e.manager && !exclude.includes(e.manager) && fieldSetContains(e.fieldsV1, path),
      )
      .sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''))
      // A change through a subresource says so: `kubectl scale` shows as `kubectl (scale)`.
      .map((e) => (e.subresource ? `${e.manager} (${e.subresource})` : (e.manager as string)))
  );
}

/**
 * The paths where `actual` does not hold what `wanted` sets: every leaf of `wanted` must be
 * present and equal in `actual` (extra fields in `actual`, such as defaults, are fine). Lists
 * are compared item by item, matching items by `name` when they have one.
 */
export function unheldPaths(wanted: unknown, actual: unknown, path: PathStep[] = []): PathStep[][] {
  if (isJsonObject(wanted)) {
    if (!isJsonObject(actual)) return [path];
    return Object.entries(wanted).flatMap(([key, value]) =>
      unheldPaths(value, actual[key], [...path, { key }]),
    );
  }
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual)) return [path];
    const named = wanted.every((w) => isJsonObject(w) && typeof w.name === 'string');
    const out: PathStep[][] = [];
    wanted.forEach((item, index) => {
      const match = named
        ? actual.find((a) => isJsonObject(a) && isJsonObject(item) && a.name === item.name)
        : actual[index];
      const step: PathStep = { item: item as Json, index };
      if (match === undefined) out.push([...path, step]);
      else out.push(...unheldPaths(item, match, [...path, step]));
    });
    if (!named && actual.length !== wanted.length) out.push(path);
    return out;
  }
  return looselyEqual(wanted, actual) ? [] : [path];
}

/** Scalars equal, allowing the API server's canonical forms (`1` vs `"1"` quantities). */
function looselyEqual(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && a !== null && String(a) === String(b));
}

/** The paths whose values differ between two objects (added, removed or changed leaves). */
export function changedPaths(before: unknown, after: unknown, path: PathStep[] = []): PathStep[][] {
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) => changedPaths(before[key], after[key], [...path, { key }]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return after.flatMap((item, index) =>
      changedPaths(before[index], item, [...path, { item: item as Json, index }]),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}

/** Does a `k:{...}` key name this item? Keys the item lacks are ones the server defaulted. */
function keyNamesItem(fieldKey: string, item: unknown): boolean {
  if (!isJsonObject(item)) return false;
  try {
    const keys = Object.entries(JSON.parse(fieldKey.slice(2)) as JsonObject);
    const present = keys.filter(([k]) => item[k] !== undefined);
    return (
      present.length > 0 && present.every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v))
    );
  } catch {
    return false;
  }
}

/**
 * True when every field in a manager's field set (fieldsV1) is also set by `desired`: applying
 * `desired` as that manager then removes nothing. With `unheldPaths` empty it means applying
 * would change nothing, so the dry run can be skipped.
 */
export function fieldSetCoveredBy(fields: JsonObject | undefined, desired: unknown): boolean {
  if (!fields) return true;
  for (const [fieldKey, sub] of Object.entries(fields)) {
    if (fieldKey === '.') continue;
    const child = isJsonObject(sub) ? sub : undefined;
    if (fieldKey.startsWith('f:')) {
      if (!isJsonObject(desired)) return false;
      const value = desired[fieldKey.slice(2)];
      if (value === undefined || !fieldSetCoveredBy(child, value)) return false;
    } else if (fieldKey.startsWith('k:')) {
      const item = Array.isArray(desired)
        ? desired.find((i) => keyNamesItem(fieldKey, i))
        : undefined;
      if (item === undefined || !fieldSetCoveredBy(child, item)) return false;
    } else if (fieldKey.startsWith('v:')) {
      if (!Array.isArray(desired) || !desired.some((i) => JSON.stringify(i) === fieldKey.slice(2)))
        return false;
    } else if (fieldKey.startsWith('i:')) {
      const item = Array.isArray(desired) ? desired[Number(fieldKey.slice(2))] : undefined;
      if (item === undefined || !fieldSetCoveredBy(child, item)) return false;
    } else {
      return false;
    }
  }
  return true;
}
