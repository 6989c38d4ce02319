/**
 * The app's inventory as an ApplySet (KEP-3659), the format kubectl reads: a parent Secret
 * named after the app, labelled with the set's id and annotated with the tooling and the
 * group-kinds and namespaces of its members; members carry the `part-of` label. Plumbline's
 * own record (revision, digest, applied-at, last failure) lives in `plumbline.dev/*`
 * annotations; the lease is a separate Lease object (`lease.ts`).
 */

import { sha256, toBase64url } from '../core/encoding.ts';
import { describeRef, groupKind, type KubeObject, type ObjectRef, refOf } from '../core/object.ts';
import { ApplyError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { ResourceInfo } from '../kube/discovery.ts';

/** ApplySet label and annotation names. */
export const applySetLabels = {
  id: 'applyset.kubernetes.io/id',
  partOf: 'applyset.kubernetes.io/part-of',
  tooling: 'applyset.kubernetes.io/tooling',
  groupKinds: 'applyset.kubernetes.io/contains-group-kinds',
  namespaces: 'applyset.kubernetes.io/additional-namespaces',
} as const;

/** Plumbline's own record on the parent, and the annotations it reads on members. */
export const plumblineAnnotations = {
  /** The last revision applied completely. */
  revision: 'plumbline.dev/revision',
  /** Its rendered digest (`sha256:<hex>`): a job whose head renders the same has nothing to do. */
  digest: 'plumbline.dev/digest',
  appliedAt: 'plumbline.dev/applied-at',
  /**
   * Set while the last run failed: the stage (`apply`, `prune`, `health`...). The next push
   * that reaches the app's branch, and the sweep, retry it even if the digest matches.
   */
  failed: 'plumbline.dev/failed',
  /** The revision whose run failed, and when. */
  failedRevision: 'plumbline.dev/failed-revision',
  failedAt: 'plumbline.dev/failed-at',
  /** When self-heal last put drifted objects back. */
  healedAt: 'plumbline.dev/healed-at',
  /** On a member: `disabled` keeps it when it leaves the set. */
  prune: 'plumbline.dev/prune',
  /**
   * On a CRD or Namespace member: `true` lets prune delete it even though it still holds
   * objects Plumbline does not own (they are deleted with it).
   */
  pruneContents: 'plumbline.dev/prune-contents',
} as const;

/** The annotations of the record (written by the parent's apply, kept between runs). */
export const recordAnnotations = [
  plumblineAnnotations.revision,
  plumblineAnnotations.digest,
  plumblineAnnotations.appliedAt,
  plumblineAnnotations.failed,
  plumblineAnnotations.failedRevision,
  plumblineAnnotations.failedAt,
  plumblineAnnotations.healedAt,
] as const;

const bareHex = /^[0-9a-f]{64}$/;

/**
 * A recorded digest in the one format: bare hex written by earlier versions gains its
 * `sha256:` prefix, so an app they applied does not look changed.
 */
export function canonicalDigest(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return bareHex.test(value) ? `sha256:${value}` : value;
}

/** Plumbline's version as written into the tooling annotation. */
export const plumblineVersion = '0.1.0';

/** The tooling annotation value Plumbline writes and accepts. */
export function plumblineTooling(version = plumblineVersion): string {
  return `plumbline/${version}`;
}

/**
 * The ApplySet id of a parent: `applyset-` + base64url(sha256("name.namespace.Kind.group")) +
 * `-v1`. The core group is the empty string, so a Secret parent hashes `app.ns.Secret.`.
 */
export async function applySetId(parent: ObjectRef): Promise<string> {
  const key = `${parent.name}.${parent.namespace}.${parent.kind}.${parent.group}`;
  return `applyset-${toBase64url(await sha256(key))}-v1`;
}

/** The reference of an app's parent Secret. */
export function parentRef(app: string, namespace: string): ObjectRef {
  return { group: '', kind: 'Secret', namespace, name: app };
}

/** What the cluster says the app owns. */
export interface Inventory {
  parent: ObjectRef;
  id: string;
  /** The live parent, if the app was ever applied. */
  live?: KubeObject;
  /** Recorded group-kinds (`Kind.group`), sorted. */
  groupKinds: string[];
  /** Recorded additional namespaces, sorted. */
  namespaces: string[];
  /** Plumbline's record on the parent. */
  revision?: string | undefined;
  /** In the one format, `sha256:<hex>` (bare hex written by earlier versions is converted). */
  digest?: string | undefined;
  /** Set when the last run failed (its stage, revision and time). */
  failed?: { stage: string; revision?: string | undefined; at?: string | undefined };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

/** Parses `Kind.group` (first dot splits) back into a group-kind. */
export function parseGroupKind(value: string): { group: string; kind: string } {
  const dot = value.indexOf('.');
  return dot < 0
    ? { group: '', kind: value }
    : { group: value.slice(dot + 1), kind: value.slice(0, dot) };
}

/**
 * Reads the inventory from the parent (one GET). Refuses a parent that another tool manages,
 * or whose id label does not match: Plumbline never takes over someone else's set.
 */
export async function readInventory(
  client: KubeClient,
  app: string,
  namespace: string,
): Promise<Inventory> {
  const parent = parentRef(app, namespace);
  const id = await applySetId(parent);
  const live = await client.get(parent);
  if (!live) return { parent, id, groupKinds: [], namespaces: [] };
  const annotations = live.metadata.annotations ?? {};
  const tooling = annotations[applySetLabels.tooling];
  if (tooling !== undefined && !tooling.startsWith('plumbline/')) {
    throw new ApplyError(
      `${describeRef(parent)}: this ApplySet is managed by ${tooling}, not Plumbline`,
      {
        object: describeRef(parent),
        hint: 'choose another app name, or remove the set with its own tool first',
      },
    );
  }
  const label = live.metadata.labels?.[applySetLabels.id];
  if (label !== undefined && label !== id) {
    throw new ApplyError(
      `${describeRef(parent)}: its ApplySet id label ${label} does not match ${id}`,
      {
        object: describeRef(parent),
        hint: 'the parent was copied from elsewhere; delete it or pick another app name',
      },
    );
  }
  return {
    parent,
    id,
    live,
    groupKinds: splitList(annotations[applySetLabels.groupKinds]),
    namespaces: splitList(annotations[applySetLabels.namespaces]),
    revision: annotations[plumblineAnnotations.revision] || undefined,
    digest: canonicalDigest(annotations[plumblineAnnotations.digest]),
    ...(annotations[plumblineAnnotations.failed]
      ? {
          failed: {
            stage: annotations[plumblineAnnotations.failed] as string,
            revision: annotations[plumblineAnnotations.failedRevision],
            at: annotations[plumblineAnnotations.failedAt],
          },
        }
      : {}),
  };
}

/** The sorted group-kinds and non-parent namespaces of a set of objects. */
export function membership(
  objects: readonly KubeObject[],
  parentNamespace: string,
): { groupKinds: string[]; namespaces: string[] } {
  const gks = new Set<string>();
  const namespaces = new Set<string>();
  for (const object of objects) {
    const ref = refOf(object);
    gks.add(groupKind(ref));
    if (ref.namespace && ref.namespace !== parentNamespace) namespaces.add(ref.namespace);
  }
  return { groupKinds: [...gks].sort(), namespaces: [...namespaces].sort() };
}

/** The parent as Plumbline applies it (field manager `plumbline`). */
export function parentObject(
  inventory: Pick<Inventory, 'parent' | 'id'>,
  set: { groupKinds: string[]; namespaces: string[] },
  record: Record<string, string> = {},
  version = plumblineVersion,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: inventory.parent.name,
      namespace: inventory.parent.namespace,
      labels: { [applySetLabels.id]: inventory.id },
      annotations: {
        [applySetLabels.tooling]: plumblineTooling(version),
        [applySetLabels.groupKinds]: set.groupKinds.join(','),
        [applySetLabels.namespaces]: set.namespaces.join(','),
        ...record,
      },
    },
  };
}

/** A desired object with the `part-of` label added (never mutating the input). */
export function withPartOf(object: KubeObject, id: string): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [applySetLabels.partOf]: id },
    },
  };
}

/**
 * The live members: one LIST per recorded group-kind, in the parent namespace and each
 * additional namespace (cluster-scoped kinds once). Missing kinds (a CRD removed) are skipped.
 */
export async function listMembers(
  client: KubeClient,
  inventory: Pick<Inventory, 'id' | 'parent' | 'groupKinds' | 'namespaces'>,
  extraGroupKinds: readonly string[] = [],
): Promise<KubeObject[]> {
  const selector = `${applySetLabels.partOf}=${inventory.id}`;
  const gks = [...new Set([...inventory.groupKinds, ...extraGroupKinds])].sort();
  const namespaces = [inventory.parent.namespace, ...inventory.namespaces];
  const out: KubeObject[] = [];
  for (const gk of gks.map(parseGroupKind)) {
    let info: ResourceInfo;
    try {
      info = await client.discover(gk.group, gk.kind);
    } catch {
      continue;
    }
    if (!info.namespaced || namespaces.length > 1) {
      // One request for the whole cluster keeps a sweep at one LIST per group-kind.
      const { items } = await client.list(gk, { labelSelector: selector });
      out.push(
        ...items.filter((o) => !info.namespaced || namespaces.includes(o.metadata.namespace ?? '')),
      );
    } else {
      const { items } = await client.list(gk, {
        namespace: namespaces[0],
        labelSelector: selector,
      });
      out.push(...items);
    }
  }
  return out;
}
