/**
 * SOPS dotenv files: `KEY=value` lines (newlines escaped as `\n`), `#` comments, and the
 * metadata flattened into `sops_...` keys (`__map_` and `__list_` separators). sops reads and
 * writes these as bytes, never checking UTF-8, so keys and values are kept as bytes too.
 */

import { formatFloatG } from './go-format.ts';
import type { LoadedSopsFile } from './sops-file.ts';
import { parseSopsMetadata } from './sops-metadata.ts';
import type { PlainValue, SopsComment, SopsLeaf } from './sops-tree.ts';

type Item = { comment: string } | { key: string; value: string };

/** Bytes as a string of one character per byte (code points 0-255), and back. */
function bytesToLatin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return out;
}

function latin1ToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder();

/** Rebuilds the nested metadata from its flattened keys. */
function unflatten(entries: readonly [string, string][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [flat, value] of entries) {
    const tokens = flat.split(/(?=__map_|__list_)/);
    let node: Record<string, unknown> | unknown[] = root;
    tokens.forEach((token, i) => {
      const key: string | number = token.startsWith('__list_')
        ? Number(token.slice(7))
        : token.startsWith('__map_')
          ? token.slice(6)
          : token;
      const last = i === tokens.length - 1;
      const nextIsList = tokens[i + 1]?.startsWith('__list_') ?? false;
      const container = node as Record<string | number, unknown>;
      if (last) container[key] = value;
      else {
        container[key] ??= nextIsList ? [] : {};
        node = container[key] as Record<string, unknown> | unknown[];
      }
    });
  }
  return root;
}

/** sops' text of a non-string value in a dotenv file (`stores.ValToString`). */
function valueText(value: PlainValue): string {
  switch (value.type) {
    case 'str':
    case 'bytes':
      return bytesToLatin1(value.bytes).replaceAll('\n', '\\n');
    case 'float': {
      // %G with the shortest precision, and at least one decimal digit.
      const g = formatFloatG(value.value).replace('e', 'E');
      return /[.E]/.test(g) || !Number.isFinite(value.value) ? g : `${g}.0`;
    }
    case 'bool':
      return String(value.value);
    case 'time':
      return value.value.replace(/\.\d+(?=Z|[+-])/, '');
    default:
      return value.value;
  }
}

/** Parses a dotenv file; `undefined` when it has no `sops_` keys. */
export function loadDotenvSopsFile(content: Uint8Array): LoadedSopsFile | undefined {
  const source = bytesToLatin1(content);
  const items: Item[] = [];
  const meta: [string, string][] = [];
  for (const [n, line] of source.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      items.push({ comment: line.slice(1) });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) throw new Error(`line ${n + 1} is not KEY=value`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll('\\n', '\n');
    if (key.startsWith('sops_')) meta.push([key.slice(5), utf8.decode(latin1ToBytes(value))]);
    else items.push({ key, value });
  }
  if (meta.length === 0) return undefined;
  const metadata = parseSopsMetadata(unflatten(meta));
  const leaves: SopsLeaf[] = [];
  const comments: SopsComment[] = [];
  for (const item of items) {
    if ('key' in item) {
      const path = [utf8.decode(latin1ToBytes(item.key))];
      leaves.push({ path, stored: item.value, macBytes: latin1ToBytes(item.value) });
    } else if (item.comment.startsWith('ENC['))
      comments.push({ stored: item.comment, paths: [[]] });
  }
  return {
    metadata,
    leaves,
    comments,
    emit(result) {
      let leaf = 0;
      let comment = 0;
      let out = '';
      for (const item of items) {
        if ('key' in item) {
          const value = result.values[leaf];
          const text = value ? valueText(value) : item.value.replaceAll('\n', '\\n');
          leaf++;
          out += `${item.key}=${text}\n`;
        } else if (item.comment.startsWith('ENC[')) {
          const plain = result.comments[comment];
          // A decrypted comment is UTF-8 text; an undecrypted one stays as the bytes it was.
          out += `#${plain === undefined ? item.comment : bytesToLatin1(plain)}\n`;
          comment++;
        } else out += `#${item.comment}\n`;
      }
      return latin1ToBytes(out);
    },
  };
}
