/**
 * The content hash kustomize appends to generated ConfigMap and Secret names: SHA-256 over Go's
 * `json.Marshal` of a few fields (data, kind, type, and an always-empty name), first 10 hex digits with some letters swapped so the suffix
 * never looks like a number or a word.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../core/encoding.ts';
import { isJsonObject, type KubeObject } from '../core/object.ts';
import { newDataMap } from './data-map.ts';
import { compareGoStrings } from './go-string-order.ts';

/** Go's `json.Marshal`: keys sorted by bytes, and `<`, `>`, `&`, U+2028, U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const out = newDataMap();
  for (const key of Object.keys(value).sort(compareGoStrings)) out[key] = sortKeys(value[key]);
  return out;
}

function field(value: unknown): unknown {
  return value === undefined || value === null ? '' : value;
}

/** The string kustomize hashes for a ConfigMap or Secret. */
export function hashInput(object: KubeObject): string {
  // kustomize 5.8 looks `metadata/name` up as one key, never finds it and hashes an empty
  // name; the suffix depends on the data only. Same here, for identical names.
  const name = '';
  if (object.kind === 'ConfigMap') {
    const m: Record<string, unknown> = { kind: 'ConfigMap', name, data: field(object.data) };
    if (isJsonObject(object.binaryData)) m.binaryData = object.binaryData;
    return goJson(m);
  }
  if (object.kind === 'Secret') {
    const m: Record<string, unknown> = {
      kind: 'Secret',
      type: field(object.type),
      name,
      data: field(object.data),
    };
    if (isJsonObject(object.stringData)) m.stringData = object.stringData;
    return goJson(m);
  }
  return goJson(object);
}

const encoder = new TextEncoder();

const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };

/**
 * The 10-character name suffix for an object. Hashed in JavaScript (the render digest's
 * SHA-256) rather than WebCrypto: the inputs are small, and WebCrypto's first use costs a
 * one-shot `plumbline render` ~15 ms of start-up for a generator or two.
 */
export async function nameHash(object: KubeObject): Promise<string> {
  const hex = toHex(sha256(encoder.encode(hashInput(object))));
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}
