/**
 * Bytes as text and their SHA-256, in the forms Plumbline writes: lowercase hex, standard
 * padded base64, unpadded base64url (JWS, ApplySet ids, EKS tokens), and `sha256:<hex>`
 * digests. Strings are encoded as UTF-8 first. Decoders here only turn valid text into bytes;
 * callers that take hostile input check its shape first and throw their own stage's error.
 */

const encoder = new TextEncoder();

function bytesOf(data: string | Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data);
  // A copy when needed: WebCrypto takes no view of a shared buffer.
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data);
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array | ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(bytes)) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Standard padded base64 of bytes (or of a string's UTF-8). */
export function toBase64(data: string | Uint8Array | ArrayBuffer): string {
  const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
  let binary = '';
  // Chunked: one `fromCharCode` per byte is slow on large inputs, one call for all overflows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Unpadded base64url of bytes (or of a string's UTF-8). */
export function toBase64url(data: string | Uint8Array | ArrayBuffer): string {
  return toBase64(data).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of standard base64 (padding optional); throws a `DOMException` on other characters. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Bytes of base64url (padding optional); throws a `DOMException` on other characters. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const plain = text.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(plain + '='.repeat((4 - (plain.length % 4)) % 4));
}

/** SHA-256 of bytes (or of a string's UTF-8). */
export async function sha256(
  data: string | Uint8Array | ArrayBuffer,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(data)));
}

/** Lowercase hex SHA-256 of bytes (or of a string's UTF-8). */
export async function sha256Hex(data: string | Uint8Array | ArrayBuffer): Promise<string> {
  return toHex(await sha256(data));
}

/** `sha256:<hex>`: the one digest format Plumbline records and compares. */
export async function sha256Digest(data: string | Uint8Array | ArrayBuffer): Promise<string> {
  return `sha256:${await sha256Hex(data)}`;
}
