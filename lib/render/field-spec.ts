/**
 * Field specs: "this path in objects of this group/version/kind", the way kustomize's
 * built-in transformers say where labels, names, namespaces and images live. Paths use `/`
 * between fields (`\/` for a slash inside a key); a sequence met on the way is walked element
 * by element.
 */
import { isJsonObject } from '../core/object.ts';
import { newDataMap } from './data-map.ts';
import type { ResId } from './resource.ts';

/** One field spec. Empty group, version or kind match anything. */
export interface FieldSpec {
  group?: string | undefined;
  version?: string | undefined;
  kind?: string | undefined;
  path: string;
  /** Create the field (and missing parent maps) when absent. */
  create?: boolean | undefined;
}

/** True when the spec applies to an object with this id. */
export function specSelects(
  spec: FieldSpec,
  id: Pick<ResId, 'group' | 'version' | 'kind'>,
): boolean {
  return (
    (!spec.group || spec.group === id.group) &&
    (!spec.version || spec.version === id.version) &&
    (!spec.kind || spec.kind === id.kind)
  );
}

// Built-in paths repeat for every object; paths from repositories must not grow it forever.
const pathCache = new Map<string, string[]>();
const pathCacheSize = 1_000;

/** Splits a field-spec path into keys, honouring `\/` escapes and dropping `[]` markers. */
export function splitPath(path: string): string[] {
  let cached = pathCache.get(path);
  if (!cached) {
    if (pathCache.size >= pathCacheSize) pathCache.clear();
    cached = path
      .split(/(?<!\\)\//)
      .map((segment) => segment.replace(/\\\//g, '/').replace(/\[\]$/, ''))
      .filter((segment) => segment !== '');
    pathCache.set(path, cached);
  }
  return cached;
}

/** Called with the map holding the final field and the field's key. */
export type FieldVisitor = (holder: Record<string, unknown>, key: string) => void;

/**
 * Visits every place `path` reaches in `root`. With `create`, missing maps on the way and the
 * final field's holder are created; the visitor decides what to do with a missing final field.
 * Only own fields are followed: a path through `__proto__` or `constructor` reaches a field of
 * that name or nothing, never a JavaScript internal.
 */
export function visitPath(root: unknown, path: string, create: boolean, visit: FieldVisitor): void {
  const keys = splitPath(path);
  // A path of separators only (`/`, ``) names no field.
  if (keys.length > 0) walk(root, keys, 0, create, visit);
}

function walk(
  node: unknown,
  keys: string[],
  index: number,
  create: boolean,
  visit: FieldVisitor,
): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, keys, index, create, visit);
    return;
  }
  if (!isJsonObject(node)) return;
  const key = keys[index] as string;
  const own = Object.hasOwn(node, key) ? node[key] : undefined;
  if (index === keys.length - 1) {
    if ((own === undefined || own === null) && !create) return;
    visit(node as Record<string, unknown>, key);
    return;
  }
  let next: unknown = own;
  if (next === undefined || next === null) {
    if (!create) return;
    next = newDataMap();
    node[key] = next as never;
  }
  walk(next, keys, index + 1, create, visit);
}
