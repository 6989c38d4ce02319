/**
 * Prepares rendered objects for the cluster: every namespaced object gets the app namespace
 * when it names none, every object gets the ApplySet `part-of` label, and duplicates or
 * nameless objects are refused before any request changes anything.
 */

import { describeRef, type KubeObject, refKey, refOf, splitApiVersion } from '../core/object.ts';
import { PlanError } from '../errors.ts';
import { withPartOf } from '../inventory/applyset.ts';
import type { KubeClient } from '../kube/client.ts';
import { markSensitive } from '../secrets/mask.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';

/** What says which rendered objects carry decrypted values. */
export interface SensitiveInput {
  /** `refKey` of the objects as rendered (before the app namespace is filled in). */
  sensitive?: ReadonlySet<string>;
  /** The job's decrypted values. */
  secrets?: Redactor;
}

/** True when the kind is created by another object of the set (a CRD not yet installed). */
function definedBySet(object: KubeObject, set: readonly KubeObject[]): boolean {
  const { group } = refOf(object);
  return set.some(
    (o) =>
      o.kind === 'CustomResourceDefinition' &&
      (o as { spec?: { group?: string; names?: { kind?: string } } }).spec?.group === group &&
      (o as { spec?: { names?: { kind?: string } } }).spec?.names?.kind === object.kind,
  );
}

/**
 * The objects as Plumbline applies them. Objects carrying decrypted values are marked (see
 * `markSensitive`), looked up by their key as rendered: the namespace filled in here is not
 * part of it.
 */
export async function resolveDesired(
  objects: readonly KubeObject[],
  namespace: string,
  client: KubeClient,
  applySetId: string,
  secrets: SensitiveInput = {},
): Promise<KubeObject[]> {
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const object of objects) {
    if (!object.metadata?.name) {
      throw new PlanError(
        `${object.kind ?? 'object'} without metadata.name: Plumbline applies named objects only`,
        {
          hint: 'give the object a name (generateName is not supported for declarative apply)',
        },
      );
    }
    let namespaced: boolean;
    const { group, version } = splitApiVersion(object.apiVersion);
    try {
      namespaced = (await client.discover(group, object.kind, version)).namespaced;
    } catch (error) {
      // A custom resource whose CRD comes in this set: namespaced unless the CRD says Cluster.
      if (!definedBySet(object, objects)) throw error;
      const crd = objects.find(
        (o) =>
          o.kind === 'CustomResourceDefinition' &&
          (o as { spec?: { names?: { kind?: string } } }).spec?.names?.kind === object.kind,
      ) as { spec?: { scope?: string } } | undefined;
      namespaced = crd?.spec?.scope !== 'Cluster';
    }
    const sensitive = secrets.sensitive?.has(refKey(refOf(object))) ?? false;
    const marked = markSensitive(object, {
      sensitive,
      ...(secrets.secrets ? { secrets: secrets.secrets } : {}),
    });
    const resolved: KubeObject = {
      ...marked,
      metadata: {
        ...marked.metadata,
        ...(namespaced ? { namespace: object.metadata.namespace ?? namespace } : {}),
      },
    };
    if (!namespaced) delete resolved.metadata.namespace;
    const key = refKey(refOf(resolved));
    if (seen.has(key)) {
      throw new PlanError(`${describeRef(refOf(resolved))}: appears twice in the rendered output`, {
        object: describeRef(refOf(resolved)),
        hint: 'remove the duplicate manifest or give it another name',
      });
    }
    seen.add(key);
    out.push(withPartOf(resolved, applySetId));
  }
  return out;
}
