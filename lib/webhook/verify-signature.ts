/**
 * Verifies `X-Hub-Signature-256` over the raw body with WebCrypto (through `@octokit/webhooks`,
 * which compares in constant time). Several secrets are accepted so a secret can be rotated
 * without dropping deliveries.
 */
import { Webhooks } from '@octokit/webhooks';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

/** Verifies deliveries against a fixed list of secrets (current first). */
export class SignatureVerifier {
  readonly #verifiers: Webhooks[];

  constructor(secrets: readonly string[]) {
    this.#verifiers = secrets.filter((s) => s !== '').map((secret) => new Webhooks({ secret }));
  }

  /** How many secrets are accepted (0: every delivery is refused). */
  get size(): number {
    return this.#verifiers.length;
  }

  /**
   * True when `signature` is the HMAC-SHA256 of `body` under one of the secrets. False for a
   * missing or malformed header and when no secret is configured.
   */
  async verify(body: Uint8Array, signature: string | undefined): Promise<boolean> {
    if (!signature || !SIGNATURE.test(signature) || body.byteLength === 0) return false;
    // The library signs strings; decoding without dropping a BOM keeps valid UTF-8
    // byte-exact, and invalid UTF-8 (which GitHub never sends) changes and so fails the check.
    const payload = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
    for (const verifier of this.#verifiers) {
      if (await verifier.verify(payload, signature.toLowerCase())) return true;
    }
    return false;
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
