/**
 * Strategic merge patches as kustomize applies them (kyaml's merge2): maps merge, scalars are
 * replaced, `null` deletes, `$patch: delete|replace|merge` directives, and lists merge by key
 * only where the built-in Kubernetes schema gives them a merge key (custom resources' lists are
 * replaced). Merged lists list the patch's elements first, then the rest in their old order.
 */
import { isJsonObject, type JsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';

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

const podSpecPaths: Record<string, string> = {
  Pod: 'spec',
  PodTemplate: 'template/spec',
  Deployment: 'spec/template/spec',
  ReplicaSet: 'spec/template/spec',
  ReplicationController: 'spec/template/spec',
  DaemonSet: 'spec/template/spec',
  StatefulSet: 'spec/template/spec',
  Job: 'spec/template/spec',
  CronJob: 'spec/jobTemplate/spec/template/spec',
};

const podSpecLists: Record<string, string> = {
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
};

const containerLists: Record<string, string> = {
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  resizePolicy: 'resourceName',
};

/** The schema knowledge for one object kind. */
export interface MergeSchema {
  strategy(path: string[]): ListStrategy;
}

/** The merge schema for a kind: built-in kinds know their merge keys, others none. */
export function schemaFor(group: string, kind: string): MergeSchema {
  if (!builtinGroups.has(group)) return { strategy: () => undefined };
  const podSpec = podSpecPaths[kind]?.split('/');
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
        const key = podSpecLists[field];
        return key ? { key } : undefined;
      }
      if (
        parent.length === podSpec.length + 1 &&
        sameStart(parent, podSpec) &&
        ['containers', 'initContainers', 'ephemeralContainers'].includes(
          parent[podSpec.length] as string,
        )
      ) {
        const key = containerLists[field];
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
 * `undefined` when the patch deletes the whole object.
 */
export function strategicMerge(
  target: JsonObject,
  patch: JsonObject,
  schema: MergeSchema,
  file: string,
): JsonObject | undefined {
  try {
    const result = mergeValue(target, patch, [], schema);
    return result === undefined ? undefined : (result as JsonObject);
  } catch (error) {
    if (error instanceof MergeError) {
      throw new RenderError(`${file}: ${error.message}`, { file, cause: error });
    }
    throw error;
  }
}

function directiveOf(map: JsonObject): string | undefined {
  const d = map[directive];
  if (d === undefined) return undefined;
  if (d !== 'delete' && d !== 'replace' && d !== 'merge') {
    throw new MergeError(`unknown patch strategy '${String(d)}'`);
  }
  return d;
}

function withoutDirective(map: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(map)) if (k !== directive) out[k] = v;
  return out;
}

/** Cleans a patch value that lands where nothing was: drops nulls and directives. */
function fresh(value: unknown, path: string[], schema: MergeSchema): unknown {
  if (Array.isArray(value)) {
    return mergeList(undefined, value, path, schema);
  }
  if (isJsonObject(value)) {
    const d = directiveOf(value);
    if (d === 'delete') return undefined;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(withoutDirective(value))) {
      if (v === null) continue;
      const merged = fresh(v, [...path, k], schema);
      if (merged !== undefined) out[k] = merged as JsonObject;
    }
    return out;
  }
  return structuredClone(value);
}

function mergeValue(dest: unknown, patch: unknown, path: string[], schema: MergeSchema): unknown {
  if (patch === null) return undefined;
  if (dest === undefined || dest === null) return fresh(patch, path, schema);
  if (isJsonObject(patch)) {
    if (!isJsonObject(dest)) return fresh(patch, path, schema);
    const d = directiveOf(patch);
    if (d === 'delete') return undefined;
    if (d === 'replace') return fresh(withoutDirective(patch), path, schema);
    const out: JsonObject = { ...dest };
    const added: string[] = [];
    for (const key of Object.keys(patch)) {
      if (key === directive) continue;
      if (!(key in dest)) {
        added.push(key);
        continue;
      }
      const merged = mergeValue(dest[key], patch[key], [...path, key], schema);
      if (merged === undefined) delete out[key];
      else out[key] = merged as JsonObject;
    }
    // kyaml visits fields in sorted order, so new fields land sorted after the existing ones.
    for (const key of added.sort()) {
      const merged = mergeValue(undefined, patch[key], [...path, key], schema);
      if (merged !== undefined) out[key] = merged as JsonObject;
    }
    return out;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest)) return fresh(patch, path, schema);
    return mergeList(dest, patch, path, schema);
  }
  return patch;
}

function listDirective(patch: unknown[]): { directive?: string | undefined; rest: unknown[] } {
  const index = patch.findIndex((item) => isJsonObject(item) && directive in item);
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
): unknown[] | undefined {
  const strategy = schema.strategy(path);
  if (strategy === undefined) {
    // Not associative: the patch's list replaces the old one as written.
    return structuredClone(patch);
  }
  const { directive: d, rest } = listDirective(patch);
  if (d === 'delete') return undefined;
  if (d === 'replace') return mergeList(undefined, rest, path, schema);
  const base = dest ?? [];
  if (strategy === 'primitive') {
    const out: unknown[] = [];
    for (const item of [...rest, ...base]) if (!out.includes(item)) out.push(item);
    return out;
  }
  const key = strategy.key;
  const keyOf = (item: unknown): string | undefined =>
    isJsonObject(item) && item[key] !== undefined && item[key] !== null
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
      p === undefined ? existing : mergeValue(existing, p, path, schemaForElements(schema, path));
    if (merged === undefined || (isJsonObject(merged) && Object.keys(merged).length === 0))
      continue;
    if (isJsonObject(merged) && merged[key] === undefined) merged[key] = k;
    out.push(merged);
  }
  return [...out, ...keyless.map((item) => structuredClone(item))];
}

/** Elements of a list are walked with the list's path (arrays add no path segment). */
function schemaForElements(schema: MergeSchema, _path: string[]): MergeSchema {
  return schema;
}
