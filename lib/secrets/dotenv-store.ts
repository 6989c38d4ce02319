/**
 * SOPS dotenv files: `KEY=value` lines (newlines escaped as `\n`), `#` comments, and the
 * metadata flattened into `sops_...` keys (`__map_` and `__list_` separators).
 */
import type { LoadedSopsFile } from './sops-file.ts';
import { parseSopsMetadata } from './sops-metadata.ts';
import type { SopsComment, SopsLeaf } from './sops-tree.ts';

type Item = { comment: string } | { key: string; value: string };

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

/** Parses a dotenv file; `undefined` when it has no `sops_` keys. */
export function loadDotenvSopsFile(source: string): LoadedSopsFile | undefined {
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
    if (key.startsWith('sops_')) meta.push([key.slice(5), value]);
    else items.push({ key, value });
  }
  if (meta.length === 0) return undefined;
  const metadata = parseSopsMetadata(unflatten(meta));
  const leaves: SopsLeaf[] = [];
  const comments: SopsComment[] = [];
  for (const item of items) {
    if ('key' in item) leaves.push({ path: [item.key], stored: item.value, macText: item.value });
    else if (item.comment.startsWith('ENC[')) comments.push({ stored: item.comment, paths: [[]] });
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
          const text = value ? String(value.value) : item.value;
          leaf++;
          out += `${item.key}=${text.replaceAll('\n', '\\n')}\n`;
        } else if (item.comment.startsWith('ENC[')) {
          out += `#${result.comments[comment] ?? item.comment}\n`;
          comment++;
        } else out += `#${item.comment}\n`;
      }
      return out;
    },
  };
}
