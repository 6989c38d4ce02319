/**
 * The plan digest binds a plan to what it was computed from: the commit, the rendered objects
 * and the live resourceVersions. Applying a plan whose digest no longer matches means the
 * source or the cluster moved since it was reviewed.
 *
 * Secret values never enter the hash (an unsalted hash of a short secret can be guessed): the
 * objects are masked first. The revision still binds them, since the commit fixes the
 * encrypted files and so the values decrypted from them.
 */
import { type KubeObject, refKey, refOf } from '../core/object.ts';
import { maskObject } from '../secrets/mask.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';
import { sortKeys } from './normalize.ts';

/** Hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * `sha256:<hex>` over revision, masked objects (ordered by reference) and live
 * resourceVersions. `sensitive` holds the `refKey` of objects carrying decrypted data, and
 * `secrets` the job's decrypted values: a plan's digest is shown in pull requests, whose author
 * knows every other input of the hash.
 */
export async function planDigest(
  revision: string,
  objects: readonly KubeObject[],
  liveVersions: ReadonlyMap<string, string>,
  sensitive: ReadonlySet<string> = new Set(),
  secrets?: Redactor,
): Promise<string> {
  const ordered = [...objects]
    .sort((a, b) => refKey(refOf(a)).localeCompare(refKey(refOf(b))))
    .map((object) =>
      maskObject(object, {
        sensitive: sensitive.has(refKey(refOf(object))),
        ...(secrets ? { secrets } : {}),
      }),
    );
  const versions = [...liveVersions.entries()].sort(([a], [b]) => a.localeCompare(b));
  const payload = JSON.stringify({ revision, objects: sortKeys(ordered), versions });
  return `sha256:${await sha256Hex(payload)}`;
}
