/**
 * The plan digest binds a plan to what it was computed from: the commit, the rendered objects
 * and the live resourceVersions. Applying a plan whose digest no longer matches means the
 * source or the cluster moved since it was reviewed.
 */
import { type KubeObject, refKey, refOf } from '../core/object.ts';
import { sortKeys } from './normalize.ts';

/** Hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** `sha256:<hex>` over revision, objects (ordered by reference) and live resourceVersions. */
export async function planDigest(
  revision: string,
  objects: readonly KubeObject[],
  liveVersions: ReadonlyMap<string, string>,
): Promise<string> {
  const ordered = [...objects].sort((a, b) => refKey(refOf(a)).localeCompare(refKey(refOf(b))));
  const versions = [...liveVersions.entries()].sort(([a], [b]) => a.localeCompare(b));
  const payload = JSON.stringify({ revision, objects: sortKeys(ordered), versions });
  return `sha256:${await sha256Hex(payload)}`;
}
