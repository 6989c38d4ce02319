/**
 * A resource being built: the object plus what kustomize tracks beside it (its original id,
 * the ids it had before each rename, the name prefixes and suffixes applied, generator
 * behaviour) and whether it carries decrypted data.
 */
import type { KubeObject } from '../core/object.ts';
import { isJsonObject, splitApiVersion } from '../core/object.ts';
import { newDataMap } from './data-map.ts';
import { isClusterScoped } from './scope.ts';

/** Group, version, kind, namespace and name of a resource at one moment. */
export interface ResId {
  group: string;
  version: string;
  kind: string;
  name: string;
  /** `''` when unset. */
  namespace: string;
}

/** How a generated resource combines with one of the same name from a base. */
export type GeneratorBehavior = 'create' | 'merge' | 'replace';

/** A resource in the accumulated set of a build. */
export interface Resource {
  object: KubeObject;
  /** The id as first loaded or generated. */
  orgId: ResId;
  /** Ids before each rename or namespace change (namespaces stored as effective namespace). */
  prevIds: ResId[];
  prefixes: string[];
  suffixes: string[];
  /** True when built from a decrypted file. */
  sensitive: boolean;
  /** Set for generated ConfigMaps and Secrets. */
  generated?: { behavior: GeneratorBehavior; hash: boolean };
  /** The file this resource was loaded from, for error messages. */
  source: string;
}

/** The current id of a resource. */
export function curId(resource: Resource): ResId {
  return idOf(resource.object);
}

/** The id of an object. */
export function idOf(object: KubeObject): ResId {
  const { group, version } = splitApiVersion(String(object.apiVersion ?? ''));
  return {
    group,
    version,
    kind: String(object.kind ?? ''),
    name: String(object.metadata?.name ?? ''),
    namespace: String(object.metadata?.namespace ?? ''),
  };
}

/** Creates a resource for a freshly loaded or generated object. */
export function newResource(object: KubeObject, source: string, sensitive: boolean): Resource {
  return {
    object,
    orgId: idOf(object),
    prevIds: [],
    prefixes: [],
    suffixes: [],
    sensitive,
    source,
  };
}

/** True when the id's kind is cluster-scoped. */
export function idClusterScoped(id: ResId): boolean {
  return isClusterScoped(id.group, id.kind);
}

/** kustomize's effective namespace: `default` for unset namespaced ids, none for cluster ones. */
export function effectiveNamespace(id: ResId): string {
  if (idClusterScoped(id)) return '_non_namespaceable_';
  return id.namespace === '' || id.namespace === 'default' ? 'default' : id.namespace;
}

/** True when two ids are the same object (namespace compared as effective namespace). */
export function idEquals(a: ResId, b: ResId): boolean {
  return (
    a.group === b.group &&
    a.version === b.version &&
    a.kind === b.kind &&
    a.name === b.name &&
    effectiveNamespace(a) === effectiveNamespace(b)
  );
}

/** Records the current id before a transformer renames or moves the resource. */
export function storePreviousId(resource: Resource): void {
  const id = curId(resource);
  resource.prevIds.push({ ...id, namespace: effectiveNamespace(id) });
}

/** How users read an id in messages: `apps/v1 Deployment web/api`. */
export function describeId(id: ResId): string {
  const apiVersion = id.group ? `${id.group}/${id.version}` : id.version;
  return `${apiVersion} ${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

/** The metadata map of an object, created when missing. */
export function metadataOf(object: KubeObject): Record<string, unknown> {
  if (!isJsonObject(object.metadata)) object.metadata = newDataMap();
  return object.metadata as Record<string, unknown>;
}
