/**
 * Strategic merge patches as kustomize applies them (kyaml's merge2): maps merge, scalars are
 * replaced, `null` deletes, `$patch: delete|replace|merge` directives, and lists merge by key
 * only where the built-in Kubernetes schema gives them a merge key (custom resources' lists are
 * replaced). Merged lists list the patch's elements first, then the rest in their old order.
 */
import { isJsonObject, type JsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderBudget } from './budget.ts';
import { cloneData, dataMapFrom, type NodeCount, newDataMap } from './data-map.ts';

/** How a list merges: by a key field, as a set of scalars, or not at all (replaced). */
type ListStrategy = { key: string } | 'primitive' | undefined;

const builtinGroups = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'extensions',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
]);

// Lookup tables are Maps: a kind or field named `constructor` finds nothing in them.
const podSpecPaths = new Map([
  ['Pod', 'spec'],
  ['PodTemplate', 'template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['ReplicaSet', 'spec/template/spec'],
  ['ReplicationController', 'spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
  ['StatefulSet', 'spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
]);

const podSpecLists = new Map([
  ['volumes', 'name'],
  ['imagePullSecrets', 'name'],
  ['hostAliases', 'ip'],
  ['topologySpreadConstraints', 'topologyKey'],
  ['resourceClaims', 'name'],
  ['schedulingGates', 'name'],
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['ephemeralContainers', 'name'],
]);

const containerLists = new Map([
  ['env', 'name'],
  ['volumeMounts', 'mountPath'],
  ['volumeDevices', 'devicePath'],
  ['ports', 'containerPort'],
  ['resizePolicy', 'resourceName'],
]);

/** The schema knowledge for one object kind. */
export interface MergeSchema {
  strategy(path: string[]): ListStrategy;
}

/** The merge schema for a kind: built-in kinds know their merge keys, others none. */
export function schemaFor(group: string, kind: string): MergeSchema {
  if (!builtinGroups.has(group)) return { strategy: () => undefined };
  const podSpec = podSpecPaths.get(kind)?.split('/');
  return {
    strategy(path) {
      const field = path[path.length - 1] as string;
      const parent = path.slice(0, -1);
      if (parent.length === 1 && parent[0] === 'metadata') {
        if (field === 'finalizers') return 'primitive';
        if (field === 'ownerReferences') return { key: 'uid' };
      }
      if (kind === 'Service' && path.join('/') === 'spec/ports') return { key: 'port' };
      if (kind === 'ServiceAccount' && path.join('/') === 'secrets') return { key: 'name' };
      if (field === 'conditions' && parent[parent.length - 1] === 'status') return { key: 'type' };
      if (!podSpec) return undefined;
      if (sameStart(parent, podSpec) && parent.length === podSpec.length) {
        const key = podSpecLists.get(field);
        return key ? { key } : undefined;
      }
      if (
        parent.length === podSpec.length + 1 &&
        sameStart(parent, podSpec) &&
        ['containers', 'initContainers', 'ephemeralContainers'].includes(
          parent[podSpec.length] as string,
        )
      ) {
        const key = containerLists.get(field);
        return key ? { key } : undefined;
      }
      return undefined;
    },
  };
}

function sameStart(path: string[], prefix: string[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

const directive = '$patch';

/** Thrown inside the merge; the caller adds the file. */
class MergeError extends Error {}

/**
 * Merges `patch` into `target` (a deep copy is made of what the patch contributes). Returns
 * `undefined` when the patch deletes the whole object. Fields are looked up as own fields only
 * and every mapping built is a data map, so a patch key such as `__proto__` is a field like any
 * other. The values built are counted against the render's budget.
 */
export function strategicMerge(
  target: JsonObject,
  patch: JsonObject,
  schema: MergeSchema,
  file: string,
  budget?: RenderBudget,
): JsonObject | undefined {
  const count: NodeCount = { nodes: 0 };
  try {
    const result = mergeValue(target, patch, [], schema, count);
    budget?.spend(count.nodes, file);
    return result === undefined ? undefined : (result as JsonObject);
  } catch (error) {
    if (error instanceof MergeError) {
      throw new RenderError(`${file}: ${error.message}`, { file, cause: error });
    }
    throw error;
  }
}

function directiveOf(map: JsonObject): string | undefined {
  if (!Object.hasOwn(map, directive)) return undefined;
  const d = map[directive];
  if (d === undefined) return undefined;
  if (d !== 'delete' && d !== 'replace' && d !== 'merge') {
    throw new MergeError(`unknown patch strategy '${String(d)}'`);
  }
  return d;
}

function withoutDirective(map: JsonObject): JsonObject {
  const out = newDataMap() as JsonObject;
  for (const k of Object.keys(map)) if (k !== directive) out[k] = map[k] as JsonObject;
  return out;
}

/** Cleans a patch value that lands where nothing was: drops nulls and directives. */
function fresh(value: unknown, path: string[], schema: MergeSchema, count: NodeCount): unknown {
  count.nodes++;
  if (Array.isArray(value)) {
    return mergeList(undefined, value, path, schema, count);
  }
  if (isJsonObject(value)) {
    const d = directiveOf(value);
    if (d === 'delete') return undefined;
    const out = newDataMap() as JsonObject;
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (k === directive || v === null) continue;
      const merged = fresh(v, [...path, k], schema, count);
      if (merged !== undefined) out[k] = merged as JsonObject;
    }
    return out;
  }
  return cloneData(value, count);
}

function mergeValue(
  dest: unknown,
  patch: unknown,
  path: string[],
  schema: MergeSchema,
  count: NodeCount,
): unknown {
  if (patch === null) return undefined;
  if (dest === undefined || dest === null) return fresh(patch, path, schema, count);
  if (isJsonObject(patch)) {
    if (!isJsonObject(dest)) return fresh(patch, path, schema, count);
    const d = directiveOf(patch);
    if (d === 'delete') return undefined;
    if (d === 'replace') return fresh(withoutDirective(patch), path, schema, count);
    const out = dataMapFrom<JsonObject>(dest);
    const added: string[] = [];
    const keys = Object.keys(patch);
    count.nodes += keys.length + Object.keys(dest).length;
    for (const key of keys) {
      if (key === directive) continue;
      if (!Object.hasOwn(dest, key)) {
        added.push(key);
        continue;
      }
      const merged = mergeValue(dest[key], patch[key], [...path, key], schema, count);
      if (merged === undefined) delete out[key];
      else out[key] = merged as JsonObject;
    }
    // kyaml visits fields in sorted order, so new fields land sorted after the existing ones.
    for (const key of added.sort()) {
      const merged = mergeValue(undefined, patch[key], [...path, key], schema, count);
      if (merged !== undefined) out[key] = merged as JsonObject;
    }
    return out;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest)) return fresh(patch, path, schema, count);
    return mergeList(dest, patch, path, schema, count);
  }
  return patch;
}

function listDirective(patch: unknown[]): { directive?: string | undefined; rest: unknown[] } {
  const index = patch.findIndex((item) => isJsonObject(item) && Object.hasOwn(item, directive));
  if (index < 0) return { rest: patch };
  const item = patch[index] as JsonObject;
  if (Object.keys(item).length > 1) return { rest: patch };
  const d = directiveOf(item);
  return { directive: d, rest: patch.filter((_, i) => i !== index) };
}

function mergeList(
  dest: unknown[] | undefined,
  patch: unknown[],
  path: string[],
  schema: MergeSchema,
  count: NodeCount,
): unknown[] | undefined {
  const strategy = schema.strategy(path);
  if (strategy === undefined) {
    // Not associative: the patch's list replaces the old one as written.
    return cloneData(patch, count);
  }
  const { directive: d, rest } = listDirective(patch);
  if (d === 'delete') return undefined;
  if (d === 'replace') return mergeList(undefined, rest, path, schema, count);
  const base = dest ?? [];
  if (strategy === 'primitive') {
    const out: unknown[] = [];
    for (const item of [...rest, ...base]) if (!out.includes(item)) out.push(item);
    return out;
  }
  const key = strategy.key;
  const keyOf = (item: unknown): string | undefined =>
    isJsonObject(item) && Object.hasOwn(item, key) && item[key] !== null
      ? String(item[key])
      : undefined;
  const order: string[] = [];
  const patchByKey = new Map<string, unknown>();
  const destByKey = new Map<string, unknown>();
  const keyless: unknown[] = [];
  for (const item of rest) {
    const k = keyOf(item);
    if (k === undefined) {
      keyless.push(item);
      continue;
    }
    if (!patchByKey.has(k)) order.push(k);
    patchByKey.set(k, item);
  }
  for (const item of base) {
    const k = keyOf(item);
    if (k === undefined) {
      keyless.push(item);
      continue;
    }
    if (!destByKey.has(k) && !patchByKey.has(k)) order.push(k);
    if (!destByKey.has(k)) destByKey.set(k, item);
  }
  const out: unknown[] = [];
  for (const k of order) {
    const p = patchByKey.get(k);
    const existing = destByKey.get(k);
    const merged =
      p === undefined
        ? existing
        : mergeValue(existing, p, path, schemaForElements(schema, path), count);
    if (merged === undefined || (isJsonObject(merged) && Object.keys(merged).length === 0))
      continue;
    if (isJsonObject(merged) && !Object.hasOwn(merged, key)) merged[key] = k;
    out.push(merged);
  }
  return [...out, ...keyless.map((item) => cloneData(item, count))];
}

/** Elements of a list are walked with the list's path (arrays add no path segment). */
function schemaForElements(schema: MergeSchema, _path: string[]): MergeSchema {
  return schema;
}
