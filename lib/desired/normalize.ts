/**
 * Removes what the API server sets by itself from an object, so a diff shows only what a
 * person or a manifest changed: managedFields, resourceVersion, uid, generation, timestamps,
 * status, and the bookkeeping annotations kubectl and controllers write.
 */
import { isJsonObject, type JsonObject, type KubeObject } from '../core/object.ts';

const noisyMetadata = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionGracePeriodSeconds',
];

const noisyAnnotations = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
];

/** Recursively sorts object keys so equal objects print and hash the same. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  // Defined, not assigned: a `__proto__` key (valid data in a ConfigMap, say) must stay a key
  // instead of becoming the copy's prototype and vanishing from diffs and digests.
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, {
      value: sortKeys(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The object without server-set noise, keys sorted. */
export function normalizeObject(object: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = object;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of noisyMetadata) delete meta[key];
  if (meta.annotations && typeof meta.annotations === 'object') {
    const annotations = { ...(meta.annotations as Record<string, string>) };
    for (const key of noisyAnnotations) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
    else meta.annotations = annotations;
  }
  return sortKeys({ ...rest, metadata: meta }) as KubeObject;
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
