/**
 * Verifies `X-Hub-Signature-256` over the raw body with `@octokit/webhooks-methods` (WebCrypto
 * `verify` on Workers, a constant-time comparison on Node). Several secrets are accepted so a
 * secret can be rotated without dropping deliveries.
 */
import { verifyWithFallback } from '@octokit/webhooks-methods';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

/** Verifies deliveries against a fixed list of secrets (current first). */
export class SignatureVerifier {
  readonly #secrets: string[];

  constructor(secrets: readonly string[]) {
    this.#secrets = secrets.filter((s) => s !== '');
  }

  /** How many secrets are accepted (0: every delivery is refused). */
  get size(): number {
    return this.#secrets.length;
  }

  /**
   * True when `signature` is the HMAC-SHA256 of `body` under one of the secrets. False for a
   * missing or malformed header and when no secret is configured.
   */
  async verify(body: Uint8Array, signature: string | undefined): Promise<boolean> {
    const [current, ...previous] = this.#secrets;
    if (!current || !signature || !SIGNATURE.test(signature) || body.byteLength === 0) {
      return false;
    }
    // The library signs strings; decoding without dropping a BOM keeps valid UTF-8
    // byte-exact, and invalid UTF-8 (which GitHub never sends) changes and so fails the check.
    const payload = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
    return (await verifyWithFallback(current, payload, signature.toLowerCase(), previous)) === true;
  }
}

/** One-shot form of `SignatureVerifier.verify`. */
export function verifySignature(
  secrets: readonly string[],
  body: Uint8Array,
  signature: string | undefined,
): Promise<boolean> {
  return new SignatureVerifier(secrets).verify(body, signature);
}
