/**
 * One SOPS-encrypted value: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, AES-256-GCM with
 * a 32-byte IV and the key path as additional data. WebCrypto only, so it runs on Workers.
 */
import { fromBase64 } from '../core/encoding.ts';

const ENCRYPTED = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** The types sops records next to an encrypted value. */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment';

const TYPES: readonly string[] = ['str', 'int', 'float', 'bool', 'time', 'bytes', 'comment'];

/** The parts of an `ENC[...]` string. */
export interface EncryptedValue {
  data: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  type: SopsValueType;
}

/** True when `text` has the shape of a sops-encrypted value. */
export function isEncryptedValue(text: string): boolean {
  return ENCRYPTED.test(text);
}

/** Standard padded base64 to bytes; throws on anything else. */
export function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error('invalid base64');
  }
  return fromBase64(text);
}

/** Splits an `ENC[...]` string; throws a message without the value when it is malformed. */
export function parseEncryptedValue(text: string): EncryptedValue {
  const m = ENCRYPTED.exec(text);
  if (!m) throw new Error('not in the sops ENC[AES256_GCM,...] format');
  const [, data = '', iv = '', tag = '', type = ''] = m;
  if (!TYPES.includes(type)) throw new Error(`unknown value type "${type.slice(0, 20)}"`);
  try {
    return {
      data: decodeBase64(data),
      iv: decodeBase64(iv),
      tag: decodeBase64(tag),
      type: type as SopsValueType,
    };
  } catch {
    throw new Error('malformed base64 in an encrypted value');
  }
}

/** Imports the 32-byte data key for AES-GCM decryption (not extractable). */
export function importDataKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', key as BufferSource, { name: 'AES-GCM' }, false, [
    'decrypt',
  ]);
}

/**
 * Decrypts one value; `additionalData` is the key path joined by `:` with a trailing `:` (or
 * the `lastmodified` timestamp for the MAC). Throws when authentication fails.
 */
export async function decryptValue(
  value: EncryptedValue,
  key: CryptoKey,
  additionalData: string,
): Promise<Uint8Array> {
  const sealed = new Uint8Array(value.data.length + value.tag.length);
  sealed.set(value.data);
  sealed.set(value.tag, value.data.length);
  const plain = await crypto.subtle.decrypt(
    {
      name: 'AES-GCM',
      iv: value.iv as BufferSource,
      additionalData: new TextEncoder().encode(additionalData) as BufferSource,
      tagLength: value.tag.length * 8,
    },
    key,
    sealed as BufferSource,
  );
  return new Uint8Array(plain);
}
