/**
 * The format-independent part of SOPS decryption: decide which leaves are encrypted, decrypt
 * them with the data key and their key path as AAD, recompute the MAC over every leaf in file
 * order and check it against the stored one. The file formats only list leaves and comments,
 * then write the results back in their own syntax.
 */
import { concatBytes } from '../core/bounded-read.ts';
import { toHex } from '../core/encoding.ts';
import { encryptionDecider } from './encryption-rules.ts';
import {
  canonicalInt,
  canonicalTime,
  formatFloatF,
  formatRfc3339,
  macBool,
  parseGoBool,
  parseGoFloat,
} from './go-format.ts';
import type { SopsMetadata } from './sops-metadata.ts';
import { decryptValue, isEncryptedValue, parseEncryptedValue } from './sops-value.ts';

/** A non-null, non-comment value of the file, in file order. */
export interface SopsLeaf {
  /** Mapping keys from the document root. */
  path: readonly string[];
  /** The value when it is a string (encrypted values always are); undefined otherwise. */
  stored: string | undefined;
  /**
   * The bytes sops hashes when the value is not encrypted: Go's text of the typed value, or
   * the raw bytes of a string (which need not be UTF-8: `!!binary` values, dotenv files).
   */
  macBytes: Uint8Array;
}

/**
 * A decrypted value, typed as sops recorded it. Strings are bytes: sops keeps them as Go
 * strings, which hold any bytes (binary files, `!!binary` values, dotenv files).
 */
export type PlainValue =
  | { type: 'str'; bytes: Uint8Array }
  | { type: 'int'; value: string }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'time'; value: string }
  | { type: 'bytes'; bytes: Uint8Array }
  /** A comment sops stored as a list item (it encrypts comments in lists that way). */
  | { type: 'comment'; value: string };

/** An encrypted comment with the key paths whose AAD may have sealed it, likeliest first. */
export interface SopsComment {
  stored: string;
  paths: readonly (readonly string[])[];
}

/** What decryption made of a file's leaves and comments. */
export interface TreeResult {
  /** Per leaf: the plaintext when it was encrypted, undefined when it was stored in clear. */
  values: (PlainValue | undefined)[];
  /** Per comment: the plaintext bytes, or undefined when no path opened it (kept as written). */
  comments: (Uint8Array | undefined)[];
}

/** A failure inside the tree, naming the key path (never the value). */
export class TreeError extends Error {
  override readonly name = 'TreeError';
}

const encoder = new TextEncoder();
// A leading U+FEFF is part of a value, not a byte-order mark to drop.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function aad(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

function typed(
  type: string,
  bytes: Uint8Array,
  where: string,
): { plain: PlainValue; mac: Uint8Array } {
  const text = decoder.decode(bytes);
  const bad = () => new TreeError(`${where}: the decrypted value is not a valid ${type}`);
  switch (type) {
    case 'str':
      return { plain: { type: 'str', bytes }, mac: bytes };
    case 'bytes':
      return { plain: { type: 'bytes', bytes }, mac: bytes };
    case 'int': {
      const value = canonicalInt(text);
      if (value === undefined) throw bad();
      return { plain: { type: 'int', value }, mac: encoder.encode(value) };
    }
    case 'float': {
      const value = parseGoFloat(text);
      if (value === undefined) throw bad();
      return { plain: { type: 'float', value }, mac: encoder.encode(formatFloatF(value)) };
    }
    case 'bool': {
      const value = parseGoBool(text);
      if (value === undefined) throw bad();
      return { plain: { type: 'bool', value }, mac: encoder.encode(macBool(value)) };
    }
    case 'time': {
      const value = canonicalTime(text);
      if (value === undefined) throw bad();
      return { plain: { type: 'time', value }, mac: encoder.encode(value) };
    }
    case 'comment':
      // Not part of the MAC: sops hashed nothing for it when it was a comment at encryption.
      return { plain: { type: 'comment', value: text }, mac: new Uint8Array() };
    default:
      throw new TreeError(`${where}: an encrypted value has type ${type}`);
  }
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? 'the document root' : `key "${path.join('.')}"`;
}

async function sha512Hex(chunks: readonly Uint8Array[]): Promise<string> {
  const all = concatBytes(chunks);
  return toHex(await crypto.subtle.digest('SHA-512', all)).toUpperCase();
}

// sha256("sops"): seeds the MAC with mac_only_encrypted so it never equals a full-tree MAC.
const MAC_ONLY_ENCRYPTED_SEED = new Uint8Array([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
  0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/**
 * Decrypts the leaves and comments and verifies the MAC. Throws `TreeError` for a value that
 * does not decrypt or a MAC mismatch; the message names key paths only.
 */
export async function decryptTree(
  leaves: readonly SopsLeaf[],
  comments: readonly SopsComment[],
  metadata: SopsMetadata,
  key: CryptoKey,
): Promise<TreeResult> {
  const decide = encryptionDecider(metadata.rules);
  const chunks: Uint8Array[] = metadata.macOnlyEncrypted ? [MAC_ONLY_ENCRYPTED_SEED] : [];
  // All values are decrypted concurrently (WebCrypto may use several threads), then
  // assembled in file order, which the MAC depends on.
  type Job =
    | { kind: 'clear'; macBytes: Uint8Array }
    | { kind: 'empty' }
    | { kind: 'sealed'; type: string; where: string; bytes: Promise<Uint8Array | undefined> };
  const jobs: Job[] = leaves.map((leaf) => {
    const decision = decide(leaf.path);
    const encrypted =
      decision === 'by-shape'
        ? leaf.stored !== undefined && isEncryptedValue(leaf.stored)
        : decision;
    if (!encrypted) return { kind: 'clear', macBytes: leaf.macBytes };
    // sops stores an empty string as is, without ENC[].
    if (leaf.stored === '') return { kind: 'empty' };
    const where = describePath(leaf.path);
    if (leaf.stored === undefined || !isEncryptedValue(leaf.stored)) {
      throw new TreeError(
        `${where} should be encrypted by the file's rules but is stored in clear`,
      );
    }
    let parsed: ReturnType<typeof parseEncryptedValue>;
    try {
      parsed = parseEncryptedValue(leaf.stored);
    } catch (error) {
      throw new TreeError(`${where}: ${error instanceof Error ? error.message : error}`);
    }
    const bytes = decryptValue(parsed, key, aad(leaf.path)).catch(() => undefined);
    return { kind: 'sealed', type: parsed.type, where, bytes };
  });
  const values: (PlainValue | undefined)[] = [];
  for (const job of jobs) {
    if (job.kind === 'clear') {
      values.push(undefined);
      if (!metadata.macOnlyEncrypted) chunks.push(job.macBytes);
      continue;
    }
    if (job.kind === 'empty') {
      values.push({ type: 'str', bytes: new Uint8Array() });
      continue;
    }
    const bytes = await job.bytes;
    if (!bytes) {
      throw new TreeError(
        `${job.where} does not decrypt with the data key (the value was altered, moved to another key, or belongs to another file)`,
      );
    }
    const { plain, mac } = typed(job.type, bytes, job.where);
    values.push(plain);
    chunks.push(mac);
  }

  const macValue = await decryptMac(metadata, key);
  const computed = await sha512Hex(chunks);
  if (computed !== macValue) {
    throw new TreeError(
      'the MAC does not match the content: the file was modified after it was encrypted',
    );
  }

  const plainComments = await Promise.all(comments.map((c) => decryptComment(c, key)));
  return { values, comments: plainComments };
}

async function decryptMac(metadata: SopsMetadata, key: CryptoKey): Promise<string> {
  const lastModified = formatRfc3339(metadata.lastModified);
  if (lastModified === undefined) {
    throw new TreeError('sops.lastmodified is not an RFC 3339 timestamp');
  }
  try {
    const parsed = parseEncryptedValue(metadata.mac);
    return decoder.decode(await decryptValue(parsed, key, lastModified));
  } catch {
    throw new TreeError(
      'sops.mac does not decrypt with the data key (the MAC or lastmodified was altered)',
    );
  }
}

async function decryptComment(
  comment: SopsComment,
  key: CryptoKey,
): Promise<Uint8Array | undefined> {
  let parsed: ReturnType<typeof parseEncryptedValue>;
  try {
    parsed = parseEncryptedValue(comment.stored);
  } catch {
    return undefined;
  }
  if (parsed.type !== 'comment') return undefined;
  for (const path of comment.paths) {
    try {
      return await decryptValue(parsed, key, aad(path));
    } catch {
      // Not sealed under this path; sops itself keeps an undecryptable comment as written.
    }
  }
  return undefined;
}
