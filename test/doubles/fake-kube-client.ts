/**
 * An in-memory `KubeClient` for unit tests of the pure parts of plan, apply and drift. It
 * models what those parts rely on (resourceVersion bumps only on change, apply preconditions,
 * create conflicts, label-selector lists, delete preconditions); server-side apply itself is
 * approximated by a deep merge. Everything is also tested against a real API server.
 */

import {
  describeRef,
  isJsonObject,
  type KubeObject,
  type ObjectRef,
  refKey,
  refOf,
} from '../../lib/core/object.ts';
import { KubeError } from '../../lib/errors.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { ResourceInfo } from '../../lib/kube/discovery.ts';

/** Resources a fake serves unless told otherwise. */
export const fakeResources: ResourceInfo[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    resource: 'namespaces',
    namespaced: false,
    verbs: [],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    resource: 'configmaps',
    namespaced: true,
    verbs: [],
  },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true, verbs: [] },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true, verbs: [] },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    resource: 'serviceaccounts',
    namespaced: true,
    verbs: [],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    namespaced: true,
    verbs: [],
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    resource: 'leases',
    namespaced: true,
    verbs: [],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    resource: 'customresourcedefinitions',
    namespaced: false,
    verbs: [],
  },
];

/** The fake's state and knobs, exposed to tests. */
export interface FakeKubeClient extends KubeClient {
  /** Stored objects by `refKey`. */
  readonly objects: Map<string, KubeObject>;
  /** Every call, as `verb describeRef` strings, in order. */
  readonly calls: string[];
  /** Makes the next matching calls fail. */
  failWhen(predicate: (verb: string, ref: ObjectRef) => KubeError | undefined): void;
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isJsonObject(base) || !isJsonObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = deepMerge(base[key], value);
  return out;
}

/**
 * Removes from `live` the fields a manager applied last time but not this time, as
 * server-side apply does (approximated: object keys only, when no one else could own them).
 */
function dropReleased(live: unknown, previous: unknown, next: unknown): unknown {
  if (!isJsonObject(live) || !isJsonObject(previous)) return live;
  const out: Record<string, unknown> = { ...live };
  for (const key of Object.keys(previous)) {
    const nextValue = isJsonObject(next) ? next[key] : undefined;
    if (nextValue === undefined) delete out[key];
    else out[key] = dropReleased(out[key], previous[key], nextValue);
  }
  return out;
}

function matches(object: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return object.metadata.labels?.[key ?? ''] === value;
  });
}

/** Creates an empty fake cluster, optionally seeded with objects. */
export function createFakeKubeClient(
  seed: KubeObject[] = [],
  resources = fakeResources,
): FakeKubeClient {
  const objects = new Map<string, KubeObject>();
  /** What each field manager last applied to each object, to drop what it stops applying. */
  const applied = new Map<string, KubeObject>();
  const calls: string[] = [];
  let version = 1;
  let failure: ((verb: string, ref: ObjectRef) => KubeError | undefined) | undefined;

  function info(group: string, kind: string): ResourceInfo {
    const found = resources.find((r) => r.group === group && r.kind === kind);
    if (!found) throw new KubeError(`${kind}.${group}: no such kind`, 404, 'NoKindMatch');
    return found;
  }
  function record(verb: string, ref: ObjectRef): void {
    calls.push(`${verb} ${describeRef(ref)}`);
    const error = failure?.(verb, ref);
    if (error) throw error;
  }
  function store(object: KubeObject): KubeObject {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++version);
    stored.metadata.uid ??= `uid-${version}`;
    objects.set(refKey(refOf(stored)), stored);
    return structuredClone(stored);
  }
  for (const object of seed) store(object);

  return {
    objects,
    calls,
    failWhen(predicate) {
      failure = predicate;
    },
    async discover(group, kind) {
      return info(group, kind);
    },
    async discoverAll() {
      return [...resources];
    },
    invalidateDiscovery() {},
    async get(ref) {
      record('get', ref);
      const found = objects.get(refKey(ref));
      return found ? structuredClone(found) : undefined;
    },
    async list(gk, options = {}) {
      calls.push(`list ${gk.kind}`);
      const error = failure?.('list', {
        group: gk.group,
        kind: gk.kind,
        namespace: options.namespace ?? '',
        name: '',
      });
      if (error) throw error;
      info(gk.group, gk.kind);
      const items = [...objects.values()].filter(
        (o) =>
          refOf(o).group === gk.group &&
          o.kind === gk.kind &&
          (options.namespace === undefined || (o.metadata.namespace ?? '') === options.namespace) &&
          matches(o, options.labelSelector),
      );
      return { items: structuredClone(items), resourceVersion: String(version) };
    },
    async create(object) {
      const ref = refOf(object);
      record('create', ref);
      if (objects.has(refKey(ref))) {
        throw new KubeError(
          `${describeRef(ref)}: create failed (409 AlreadyExists)`,
          409,
          'AlreadyExists',
        );
      }
      return store(object);
    },
    async apply(object, options = {}) {
      const ref = refOf(object);
      record(options.dryRun ? 'dry-run' : 'apply', ref);
      const live = objects.get(refKey(ref));
      const wanted = object.metadata.resourceVersion;
      if (wanted !== undefined && live?.metadata.resourceVersion !== wanted) {
        throw new KubeError(
          `${describeRef(ref)}: apply failed (409 Conflict): the object has been modified`,
          409,
          'Conflict',
        );
      }
      const { resourceVersion: _ignored, ...meta } = object.metadata;
      const body = { ...object, metadata: meta };
      const appliedKey = `${refKey(ref)}|${options.fieldManager ?? 'plumbline'}`;
      const base = dropReleased(live ?? {}, applied.get(appliedKey), body);
      const merged = deepMerge(base, body) as KubeObject;
      if (!options.dryRun) applied.set(appliedKey, structuredClone(body) as KubeObject);
      if (live && JSON.stringify(merged) === JSON.stringify(live)) return structuredClone(live);
      if (options.dryRun)
        return {
          ...merged,
          metadata: { ...merged.metadata, resourceVersion: live?.metadata.resourceVersion ?? '' },
        };
      return store(merged);
    },
    async replace(object) {
      const ref = refOf(object);
      record('replace', ref);
      const live = objects.get(refKey(ref));
      if (!live) {
        throw new KubeError(`${describeRef(ref)}: replace failed (404 NotFound)`, 404, 'NotFound');
      }
      if (live.metadata.resourceVersion !== object.metadata.resourceVersion) {
        throw new KubeError(
          `${describeRef(ref)}: replace failed (409 Conflict): the object has been modified`,
          409,
          'Conflict',
        );
      }
      // Every stored object has a uid: `store` gives one to each it creates.
      return store({
        ...object,
        metadata: { ...object.metadata, uid: live.metadata.uid as string },
      });
    },
    async delete(ref, options = {}) {
      record('delete', ref);
      const live = objects.get(refKey(ref));
      if (!live) return 'absent';
      const pre = options.preconditions;
      if (
        (pre?.uid && pre.uid !== live.metadata.uid) ||
        (pre?.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion)
      ) {
        throw new KubeError(
          `${describeRef(ref)}: delete failed (409 Conflict): precondition failed`,
          409,
          'Conflict',
        );
      }
      if (!options.dryRun) objects.delete(refKey(ref));
      return 'deleted';
    },
    async createToken(namespace, serviceAccount, options = {}) {
      record('create token', {
        group: '',
        kind: 'ServiceAccount',
        namespace,
        name: serviceAccount,
      });
      const seconds = options.expirationSeconds ?? 600;
      return {
        token: `token-${serviceAccount}-${++version}`,
        expirationTimestamp: new Date(Date.now() + seconds * 1000).toISOString(),
      };
    },
  };
}
