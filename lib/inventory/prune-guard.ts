/**
 * Prune only what is owned. Deleting a CustomResourceDefinition deletes every object of its
 * kind, in every namespace; deleting a Namespace deletes everything in it. Neither may take
 * down objects Plumbline does not own (outside the app's ApplySet) or objects Git still
 * declares. Before such a member is pruned, what it holds is counted:
 *
 * - objects still in Git: always refused (the deletion would delete what Git declares; remove
 *   them from Git first, or keep the CRD or Namespace);
 * - objects outside the set: refused unless the member carries
 *   `plumbline.dev/prune-contents: "true"` or the app sets `pruneContents: true`;
 * - the app's own namespace: always refused (its inventory and lease live there);
 * - contents that cannot be listed (no RBAC, an API down): refused, since nothing proves it empty.
 *
 * Objects a controller makes for others (with ownerReferences), events, endpoints and what
 * Kubernetes puts in every namespace (the `default` ServiceAccount, `kube-root-ca.crt`) are not
 * counted: they go with their owners.
 */
import {
  describeRef,
  type KubeObject,
  type ObjectRef,
  refKey,
  refOf,
  splitApiVersion,
} from '../core/object.ts';
import { KubeError, messageOf } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { ResourceInfo } from '../kube/discovery.ts';
import { applySetLabels, plumblineAnnotations } from './applyset.ts';

/** What a CRD or Namespace about to be pruned still holds. */
export interface PruneHazard {
  ref: ObjectRef;
  /** Objects outside the app's set that would be deleted with it. */
  foreign: number;
  /** Objects Git still declares that would be deleted with it. */
  desired: number;
  /** Why its contents could not be counted, when they could not. */
  unknown?: string;
  /** True when the app's own namespace (home of its inventory and lease). */
  home: boolean;
  /** Deleting it is allowed anyway (only foreign objects, and opted in). */
  allowed: boolean;
  /** One sentence for plans and errors. */
  message: string;
}

/** What the guard needs to know about the run. */
export interface PruneGuardContext {
  /** The app's ApplySet id. */
  applySetId: string;
  /** The app namespace. */
  homeNamespace: string;
  /** `refKey` of every desired object. */
  desiredKeys: ReadonlySet<string>;
  /** The app's opt-in (`pruneContents: true`). */
  pruneContents?: boolean;
}

/** True for the kinds whose deletion takes other objects with it. */
export function holdsObjects(ref: Pick<ObjectRef, 'group' | 'kind'>): boolean {
  return (
    (ref.group === '' && ref.kind === 'Namespace') ||
    (ref.group === 'apiextensions.k8s.io' && ref.kind === 'CustomResourceDefinition')
  );
}

/** Kinds never counted: made by controllers for objects that are counted themselves. */
const incidentalKinds = new Set([
  '|Event',
  'events.k8s.io|Event',
  '|Endpoints',
  'discovery.k8s.io|EndpointSlice',
]);

function incidental(object: KubeObject): boolean {
  const { group } = splitApiVersion(object.apiVersion);
  if (incidentalKinds.has(`${group}|${object.kind}`)) return true;
  const owners = object.metadata.ownerReferences;
  if (Array.isArray(owners) && owners.length > 0) return true;
  if (group === '' && object.kind === 'ServiceAccount' && object.metadata.name === 'default') {
    return true;
  }
  return group === '' && object.kind === 'ConfigMap' && object.metadata.name === 'kube-root-ca.crt';
}

/** Counts what a CRD or Namespace member holds; `undefined` for other kinds. */
export async function pruneHazard(
  client: KubeClient,
  member: KubeObject,
  context: PruneGuardContext,
): Promise<PruneHazard | undefined> {
  const ref = refOf(member);
  if (!holdsObjects(ref)) return undefined;
  const home = ref.kind === 'Namespace' && ref.name === context.homeNamespace;
  const optedIn =
    context.pruneContents === true ||
    member.metadata.annotations?.[plumblineAnnotations.pruneContents] === 'true';
  let contents: KubeObject[];
  let unknown: string | undefined;
  try {
    contents = home ? [] : await contentsOf(client, member);
  } catch (error) {
    contents = [];
    unknown = messageOf(error);
  }
  let foreign = 0;
  let desired = 0;
  for (const object of contents) {
    if (incidental(object)) continue;
    if (context.desiredKeys.has(refKey(refOf(object)))) desired++;
    else if (object.metadata.labels?.[applySetLabels.partOf] !== context.applySetId) foreign++;
  }
  // Desired objects of a CRD's kind that are not live yet would fail without it just the same.
  if (ref.kind === 'CustomResourceDefinition') desired = countDesiredOfCrd(member, context);
  const allowed = !home && unknown === undefined && desired === 0 && (foreign === 0 || optedIn);
  return {
    ref,
    foreign,
    desired,
    ...(unknown === undefined ? {} : { unknown }),
    home,
    allowed,
    message: hazardMessage(ref, { home, foreign, desired, unknown, optedIn, allowed }),
  };
}

function crdKind(crd: KubeObject): { group: string; kind: string } | undefined {
  const spec = crd.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
  return typeof spec?.group === 'string' && typeof spec.names?.kind === 'string'
    ? { group: spec.group, kind: spec.names.kind }
    : undefined;
}

/** Desired objects of the CRD's kind, live or not: deleting the CRD would delete or fail them. */
function countDesiredOfCrd(crd: KubeObject, context: PruneGuardContext): number {
  const kind = crdKind(crd);
  if (!kind) return 0;
  const prefix = `${kind.group}|${kind.kind}|`;
  return [...context.desiredKeys].filter((key) => key.startsWith(prefix)).length;
}

/** Every object a CRD or Namespace holds (one LIST per kind). */
async function contentsOf(client: KubeClient, member: KubeObject): Promise<KubeObject[]> {
  if (member.kind === 'CustomResourceDefinition') {
    const kind = crdKind(member);
    if (!kind) return [];
    try {
      return (await client.list(kind)).items;
    } catch (error) {
      // The kind is no longer served (the CRD is already going): it holds nothing we can see.
      if (error instanceof KubeError && error.reason === 'NoKindMatch') return [];
      throw error;
    }
  }
  const namespace = member.metadata.name as string;
  // Fresh discovery: a kind that stopped being served since the cache was filled holds nothing.
  client.invalidateDiscovery();
  const kinds = listableNamespacedKinds(await client.discoverAll());
  const out: KubeObject[] = [];
  for (const info of kinds) {
    try {
      out.push(...(await client.list(info, { namespace })).items);
    } catch (error) {
      if (error instanceof KubeError && (error.status === 404 || error.reason === 'NoKindMatch')) {
        continue; // removed meanwhile (a CRD going away): nothing of it is left to count
      }
      throw new KubeError(
        `${describeRef(refOf(member))}: cannot list its ${info.kind} objects: ${messageOf(error)}`,
        error instanceof KubeError ? error.status : 0,
        error instanceof KubeError ? error.reason : undefined,
        { cause: error },
      );
    }
  }
  return out;
}

/** One resource per group-kind (the preferred version), namespaced and listable. */
function listableNamespacedKinds(resources: readonly ResourceInfo[]): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const info of resources) {
    const key = `${info.group}|${info.kind}`;
    if (!info.namespaced || seen.has(key) || incidentalKinds.has(key)) continue;
    if (info.verbs.length > 0 && !info.verbs.includes('list')) continue;
    seen.add(key);
    out.push(info);
  }
  return out;
}

function hazardMessage(
  ref: ObjectRef,
  facts: {
    home: boolean;
    foreign: number;
    desired: number;
    unknown: string | undefined;
    optedIn: boolean;
    allowed: boolean;
  },
): string {
  const subject = describeRef(ref);
  if (facts.home) {
    return `${subject}: not pruned: it is the app's own namespace, where its inventory and lease live`;
  }
  if (facts.unknown !== undefined) {
    return `${subject}: not pruned: what it holds cannot be listed (${facts.unknown})`;
  }
  const counts = [
    facts.desired > 0 ? `${facts.desired} object(s) still in Git` : '',
    facts.foreign > 0 ? `${facts.foreign} object(s) outside the app's set` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (facts.allowed) {
    return counts
      ? `${subject}: pruned with ${counts} (${plumblineAnnotations.pruneContents} allows it)`
      : `${subject}: holds nothing else`;
  }
  return `${subject}: not pruned: deleting it would delete ${counts}`;
}

/** The hint for a refused deletion. */
export function hazardHint(hazard: PruneHazard): string {
  if (hazard.home) return "change the app's namespace, or delete the app's objects with kubectl";
  if (hazard.unknown !== undefined) {
    return 'give the deployer list permission in that namespace, or keep the object in Git';
  }
  if (hazard.desired > 0) {
    return 'remove those objects from Git first (or keep the CRD or Namespace in Git)';
  }
  return `annotate it ${plumblineAnnotations.pruneContents}: "true" (or set pruneContents: true on the app) to delete it with its contents, or keep it in Git`;
}
