/**
 * A small, runtime-free reader of (gzipped) tar archives: what GitHub's tarball endpoint
 * returns (`git archive` output: ustar headers, a pax global header carrying the commit, pax
 * extended headers for long names). Only what that produces is supported; anything else is a
 * `SourceError`, never a guess.
 */
import { ReadBoundExceeded, readBounded } from '../core/bounded-read.ts';
import { SourceError } from '../errors.ts';

/** One entry of a tar archive. */
export interface TarEntry {
  /** The path as written in the archive (pax `path` when given). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** File contents (files only). */
  content: Uint8Array;
  /** Link target (symlinks and hard links). */
  linkTarget: string;
}

const BLOCK = 512;

/**
 * Decompresses a gzip stream, refusing to produce more than `maxBytes` (a zip bomb, or a
 * repository too large to render).
 */
export async function gunzip(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  what = 'archive',
): Promise<Uint8Array> {
  // The DOM typings declare the writable side as BufferSource; Uint8Array is one.
  const gzip = new DecompressionStream('gzip') as unknown as ReadableWritablePair<
    Uint8Array,
    Uint8Array
  >;
  try {
    return await readBounded(stream.pipeThrough(gzip), { maxBytes });
  } catch (error) {
    if (error instanceof ReadBoundExceeded) {
      throw new SourceError(`${what}: larger than ${maxBytes} bytes uncompressed`, {
        hint: 'Keep deployment repositories small, or raise the archive size bound.',
      });
    }
    throw new SourceError(`${what}: not a valid gzip stream`, { cause: error });
  }
}

const decoder = new TextDecoder('utf-8');

/** A NUL-terminated string field of a header. */
function field(block: Uint8Array, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** An octal number field of a header. */
function octal(block: Uint8Array, start: number, length: number, what: string): number {
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new SourceError(`${what}: malformed tar header`);
  return Number.parseInt(text, 8);
}

function checksumMatches(block: Uint8Array, what: string): boolean {
  const expected = octal(block, 148, 8, what);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  return sum === expected;
}

/** Records of a pax extended header (`<len> <key>=<value>\n`). */
function paxRecords(data: Uint8Array, what: string): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.byteLength) {
    const space = data.indexOf(0x20, offset);
    const length = Number.parseInt(decoder.decode(data.subarray(offset, space)), 10);
    if (space < 0 || !Number.isInteger(length) || length <= 0) {
      throw new SourceError(`${what}: malformed pax header`);
    }
    const record = decoder.decode(data.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

/** The entries of an uncompressed tar archive, in order. */
export function readTar(archive: Uint8Array, what = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= archive.byteLength) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header, what)) {
      throw new SourceError(`${what}: tar header checksum mismatch at byte ${offset}`);
    }
    const size = octal(header, 124, 12, what);
    const typeflag = String.fromCharCode(header[156] as number);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.byteLength) {
      throw new SourceError(`${what}: truncated tar archive`);
    }
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (typeflag === 'x') {
      pax = paxRecords(data, what);
      continue;
    }
    if (typeflag === 'g') continue; // git archive's global header: the commit id, not a file.
    if (typeflag === 'L' || typeflag === 'K') {
      const value = field(data, 0, data.byteLength);
      if (typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = field(header, 0, 100);
    const path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const linkTarget = pax.get('linkpath') ?? longLink ?? field(header, 157, 100);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    const type =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '1'
              ? 'hardlink'
              : undefined;
    if (!type) {
      throw new SourceError(`${what}: ${path}: unsupported tar entry type '${typeflag}'`);
    }
    entries.push({ path, type, content: type === 'file' ? data : new Uint8Array(), linkTarget });
  }
  return entries;
}
