/**
 * UTF-8 the way kustomize reads it. Manifests, kustomizations, patches and env files must be
 * valid UTF-8 (go-yaml and kustomize's env reader refuse anything else), and binary values that
 * end up in a string (`!!binary` scalars) have each invalid byte replaced by U+FFFD, as Go's
 * JSON encoder does: per byte, where a WHATWG decoder replaces whole truncated sequences.
 */
import { RenderError } from '../errors.ts';

const strict = new TextDecoder('utf-8', { fatal: true });
/** For bytes that are a value, not a file: a leading U+FEFF is data. */
const strictKeepingBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 text of a file's bytes, or a `RenderError` naming the file, line and bad byte. */
export function utf8Text(bytes: Uint8Array, path: string): string {
  try {
    return strict.decode(bytes);
  } catch (error) {
    const offset = invalidUtf8At(bytes, 0);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    throw new RenderError(
      `${path}:${line}: is not valid UTF-8 (byte 0x${byte} at offset ${offset})`,
      {
        file: path,
        line,
        cause: error,
        hint: 'kustomize reads manifests, kustomizations, patches and env files as UTF-8: re-encode the file, or put binary content in a generator through files:.',
      },
    );
  }
}

/** `bytes` as a string, each byte that starts no valid UTF-8 sequence turned into U+FFFD (Go). */
export function goUtf8String(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  while (start < bytes.length) {
    const bad = invalidUtf8At(bytes, start);
    out += strictKeepingBom.decode(bytes.subarray(start, bad));
    if (bad >= bytes.length) break;
    out += '\ufffd';
    start = bad + 1;
  }
  return out;
}

/** The length of the valid UTF-8 sequence starting at `i`, or 0 when none starts there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  const length =
    b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let j = 1; j < length; j++) {
    const c = bytes[i + j] as number;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = j === 1 && b === 0xe0 ? 0xa0 : j === 1 && b === 0xf0 ? 0x90 : 0x80;
    const high = j === 1 && b === 0xed ? 0x9f : j === 1 && b === 0xf4 ? 0x8f : 0xbf;
    if (c < low || c > high) return 0;
  }
  return length;
}

/** The offset of the first byte at or after `from` that starts no valid UTF-8 sequence. */
function invalidUtf8At(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return i;
}
