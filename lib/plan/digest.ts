/**
 * The plan digest binds a plan to what it was computed from: the rendered (masked) objects,
 * and the live state as far as it decides the outcome (each object's action and the fields
 * that change, with their live and planned values, masked). It leaves out the commit on
 * purpose: the plan of a pull request's head and the plan of its merge commit must be equal
 * when neither the source nor the cluster moved in between.
 *
 * Secret values never enter it (an unsalted hash of a short secret can be guessed): the
 * rendered digest covers the ciphertext of encrypted files instead, and live values are masked.
 */
import { sha256Digest } from '../core/encoding.ts';

/** `sha256:<hex>` over the two halves (each `sha256:<hex>` already). */
export function planDigest(digests: { desired: string; live: string }): Promise<string> {
  return sha256Digest(`plumbline-plan/v1\n${digests.desired}\n${digests.live}\n`);
}
