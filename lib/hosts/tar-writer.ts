/**
 * Writes the ustar archives Plumbline streams to a host's `tar -x`: regular files only, with
 * names Plumbline chose (short, flat), so every tar (GNU, BSD, busybox) reads them the same.
 */

const BLOCK = 512;
const encoder = new TextEncoder();

function put(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
  header.set(bytes, offset);
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** One archive member. */
export interface TarMember {
  /** At most 100 bytes, no `/` needed: members are flat. */
  name: string;
  content: Uint8Array;
  /** Permission bits (default 0600). */
  mode?: number;
}

/** A ustar archive of `members`, ending with the two zero blocks. */
export function writeTar(members: readonly TarMember[]): Uint8Array<ArrayBuffer> {
  const size = members.reduce(
    (n, m) => n + BLOCK + Math.ceil(m.content.length / BLOCK) * BLOCK,
    2 * BLOCK,
  );
  const out = new Uint8Array(size);
  let at = 0;
  for (const member of members) {
    const header = new Uint8Array(BLOCK);
    put(header, 0, 100, member.name);
    put(header, 100, 8, octal(member.mode ?? 0o600, 8));
    put(header, 108, 8, octal(0, 8));
    put(header, 116, 8, octal(0, 8));
    put(header, 124, 12, octal(member.content.length, 12));
    put(header, 136, 12, octal(0, 12));
    header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
    put(header, 156, 1, '0');
    put(header, 257, 6, 'ustar\0');
    put(header, 263, 2, '00');
    let sum = 0;
    for (const byte of header) sum += byte;
    put(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    out.set(header, at);
    out.set(member.content, at + BLOCK);
    at += BLOCK + Math.ceil(member.content.length / BLOCK) * BLOCK;
  }
  return out;
}
