/** Builds tar archives in tests, including hostile ones no well-behaved tool would write. */

export interface TestEntry {
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink' | 'pax-global' | 'fifo';
  content?: string;
  linkTarget?: string;
  /** Write the path in a pax extended header (how git archive stores long names). */
  pax?: boolean;
}

const encoder = new TextEncoder();

function header(name: string, size: number, typeflag: string, linkTarget = ''): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) =>
    block.set(encoder.encode(text).subarray(0, length), offset);
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  put('        ', 148, 8);
  put(typeflag, 156, 1);
  put(linkTarget, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.byteLength / 512) * 512);
  out.set(data);
  return out;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length += 1;
  return `${length}${body}`;
}

/** An uncompressed tar archive of `entries`. */
export function buildTar(entries: TestEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (type === 'pax-global') {
      const data = encoder.encode(paxRecord('comment', entry.content ?? ''));
      parts.push(header('pax_global_header', data.byteLength, 'g'), padded(data));
      continue;
    }
    let name = entry.path;
    if (entry.pax) {
      const data = encoder.encode(paxRecord('path', entry.path));
      parts.push(header('PaxHeader', data.byteLength, 'x'), padded(data));
      name = 'shortened';
    }
    const content = encoder.encode(entry.content ?? '');
    const flag = { file: '0', directory: '5', symlink: '2', hardlink: '1', fifo: '6' }[type];
    const size = type === 'file' ? content.byteLength : 0;
    parts.push(header(name, size, flag, entry.linkTarget ?? ''));
    if (size > 0) parts.push(padded(content));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** `bytes` gzipped, as a stream (what the tarball endpoint's body is). */
export function gzipStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip'));
}
