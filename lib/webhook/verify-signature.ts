/**
 * Verifies `X-Hub-Signature-256` over the raw body with WebCrypto (through
 * `@octokit/webhooks-methods`, constant time). Several secrets are accepted so a secret can be
 * rotated without dropping deliveries.
 */
import { verify } from '@octokit/webhooks-methods';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

/**
 * True when `signature` is the HMAC-SHA256 of `body` under one of `secrets`. False for a
 * missing or malformed header and when no secret is configured.
 */
export async function verifySignature(
  secrets: readonly string[],
  body: Uint8Array,
  signature: string | undefined,
): Promise<boolean> {
  if (!signature || !SIGNATURE.test(signature) || body.byteLength === 0) return false;
  // The library signs strings; decoding without dropping a BOM keeps valid UTF-8 byte-exact,
  // and invalid UTF-8 (which GitHub never sends) changes and so fails the check.
  const payload = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
  for (const secret of secrets) {
    if (secret !== '' && (await verify(secret, payload, signature.toLowerCase()))) return true;
  }
  return false;
}
