/**
 * `!!binary` scalars as kustomize reads them: go-yaml decodes the base64 (line breaks ignored,
 * padding required) into a string of the bytes, and the JSON round trip that follows replaces
 * each byte that is not valid UTF-8 with U+FFFD. So `!!binary aGVsbG8=` is the string `hello`.
 */
import { goUtf8String } from './utf8.ts';

/** Thrown for base64 go-yaml refuses; the caller adds the file and line. */
export class InvalidBinaryScalar extends Error {}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The string kustomize makes of a `!!binary` scalar's text. */
export function binaryScalarValue(text: string): string {
  const compact = text.replace(/[\r\n]/g, '');
  if (!base64.test(compact)) {
    throw new InvalidBinaryScalar('!!binary value contains invalid base64 data');
  }
  const raw = atob(compact);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return goUtf8String(bytes);
}
