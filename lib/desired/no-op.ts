/**
 * Whether applying an object could change its live state at all, decided locally from the
 * live object's values and `managedFields`: most objects on most runs need no request.
 */
import type { KubeObject } from '../core/object.ts';
import { plumblineFieldManager } from '../kube/client.ts';
import { fieldSetCoveredBy, unheldPaths } from '../kube/field-owners.ts';

/**
 * True when applying `object` could not change `live`: every value it sets holds, and
 * Plumbline's applied field set has nothing the object dropped (which apply would remove).
 * Such objects need no dry run and no apply.
 */
export function appliesAsNoOp(object: KubeObject, live: KubeObject): boolean {
  const mine = (live.metadata.managedFields ?? []).filter(
    (e) => e.manager === plumblineFieldManager && e.operation === 'Apply' && !e.subresource,
  );
  if (mine.length !== 1 || mine[0]?.apiVersion !== object.apiVersion) return false;
  return unheldPaths(object, live).length === 0 && fieldSetCoveredBy(mine[0]?.fieldsV1, object);
}
