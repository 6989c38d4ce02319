/**
 * The SSH wire encoding (RFC 4251 §5): `byte`, `boolean`, `uint32`, `uint64`, `string` (a
 * length-prefixed byte string), `mpint` and `name-list`. Everything Plumbline sends to or reads
 * from an SSH server, and every key, signature and certificate blob, goes through these two.
 */
import { concatBytes as joinBytes } from '../../core/bounded-read.ts';
import { fromBase64 as decodeBase64 } from '../../core/encoding.ts';

/** A byte array backed by a plain ArrayBuffer (what WebCrypto accepts). */
export type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  return joinBytes(parts);
}

/** True when two byte arrays hold the same bytes (not constant time: for public data). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Bytes {
  return encoder.encode(text) as Bytes;
}

/** Builds an SSH-encoded message or blob. */
export class SshWriter {
  #parts: Uint8Array[] = [];

  byte(value: number): this {
    this.#parts.push(Uint8Array.of(value & 0xff));
    return this;
  }

  boolean(value: boolean): this {
    return this.byte(value ? 1 : 0);
  }

  uint32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0);
    this.#parts.push(bytes);
    return this;
  }

  uint64(value: bigint): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value));
    this.#parts.push(bytes);
    return this;
  }

  /** A `string` of raw bytes, or of UTF-8 text. */
  string(value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? utf8(value) : value;
    this.uint32(bytes.length);
    this.#parts.push(bytes);
    return this;
  }

  /** An `mpint` from the big-endian unsigned magnitude `value` (leading zeros dropped). */
  mpint(value: Uint8Array): this {
    let start = 0;
    while (start < value.length && value[start] === 0) start++;
    const magnitude = value.subarray(start);
    // A set high bit would read as negative: prefix a zero byte.
    const sign = magnitude.length > 0 && ((magnitude[0] ?? 0) & 0x80) !== 0;
    this.uint32(magnitude.length + (sign ? 1 : 0));
    if (sign) this.#parts.push(Uint8Array.of(0));
    this.#parts.push(magnitude);
    return this;
  }

  nameList(names: readonly string[]): this {
    return this.string(names.join(','));
  }

  /** Bytes written as they are, with no length prefix. */
  raw(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    return this;
  }

  bytes(): Bytes {
    return concatBytes(...this.#parts);
  }
}

/** A malformed SSH message or blob. */
export class SshFormatError extends Error {
  override readonly name = 'SshFormatError';
}

/** Reads an SSH-encoded message or blob; every read past the end throws `SshFormatError`. */
export class SshReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number, what: string): void {
    if (this.#at + n > this.#bytes.length) {
      throw new SshFormatError(`truncated ${what}: needs ${n} bytes at offset ${this.#at}`);
    }
  }

  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  byte(): number {
    this.#need(1, 'byte');
    return this.#bytes[this.#at++] as number;
  }

  boolean(): boolean {
    return this.byte() !== 0;
  }

  uint32(): number {
    this.#need(4, 'uint32');
    const value = this.#view.getUint32(this.#at);
    this.#at += 4;
    return value;
  }

  uint64(): bigint {
    this.#need(8, 'uint64');
    const value = this.#view.getBigUint64(this.#at);
    this.#at += 8;
    return value;
  }

  /** A `string` as bytes (a copy, so it outlives the message buffer). */
  string(): Bytes {
    const length = this.uint32();
    this.#need(length, 'string');
    const value = this.#bytes.slice(this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  /** A `string` decoded as UTF-8. */
  text(): string {
    try {
      return decoder.decode(this.string());
    } catch {
      throw new SshFormatError('a text field is not valid UTF-8');
    }
  }

  /** An `mpint` as its big-endian unsigned magnitude (negative values are refused). */
  mpint(): Bytes {
    const bytes = this.string();
    if (bytes.length > 0 && ((bytes[0] ?? 0) & 0x80) !== 0) {
      throw new SshFormatError('negative mpint');
    }
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    return bytes.slice(start);
  }

  nameList(): string[] {
    const text = this.text();
    return text === '' ? [] : text.split(',');
  }

  /** Everything not read yet. */
  rest(): Bytes {
    const value = this.#bytes.slice(this.#at);
    this.#at = this.#bytes.length;
    return value;
  }

  /** Throws unless every byte was read (trailing data in a blob is a forgery risk). */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new SshFormatError(`${what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}

/** Standard base64 (padding optional) to bytes; throws `SshFormatError` on anything else. */
export function fromBase64(text: string): Bytes {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SshFormatError('invalid base64');
  try {
    return decodeBase64(text);
  } catch {
    throw new SshFormatError('invalid base64');
  }
}
