/**
 * Digests of desired state, in the one format Plumbline records and compares everywhere:
 * `sha256:<64 lowercase hex>`. Secret values never enter a digest (an unsalted hash of a short
 * secret can be guessed): objects are masked first.
 */
import { sha256Digest } from '../core/encoding.ts';
import { type KubeObject, refKey, refOf } from '../core/object.ts';
import { maskObject } from '../secrets/mask.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';
import { sortKeys } from './normalize.ts';

/**
 * The digest of objects as given (masked, ordered by reference). Masking follows the objects'
 * marks, `sensitive` (by `refKey`) and the job's decrypted values wherever they travelled: the
 * digest of a plan is shown in pull requests, whose author knows every other input of it.
 */
export async function objectsDigest(
  objects: readonly KubeObject[],
  options: { sensitive?: ReadonlySet<string>; secrets?: Redactor } = {},
): Promise<string> {
  const ordered = [...objects]
    .sort((a, b) => refKey(refOf(a)).localeCompare(refKey(refOf(b))))
    .map((object) =>
      maskObject(object, {
        sensitive: options.sensitive?.has(refKey(refOf(object))) ?? false,
        ...(options.secrets ? { secrets: options.secrets } : {}),
      }),
    );
  return sha256Digest(JSON.stringify(sortKeys(ordered)));
}
