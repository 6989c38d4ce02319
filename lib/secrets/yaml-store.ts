/**
 * SOPS YAML files. The encrypted file was written by sops' YAML emitter, so the plaintext is
 * produced by editing it in place: each `ENC[...]` scalar becomes its value as go-yaml v3
 * writes it at that place (style, folding, block-scalar indentation from the file's own
 * indentation step, `!!binary` for bytes that are not UTF-8), each encrypted comment its
 * text, and the `sops` blocks go (a document left empty becomes `{}`). Everything else stays
 * byte for byte, which is what `sops --decrypt` prints for files sops wrote.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  type Scalar,
} from 'yaml';
import { applyEdits, type LoadedSopsFile, type TextEdit } from './sops-file.ts';
import { parseSopsMetadata } from './sops-metadata.ts';
import type { PlainValue, SopsComment, SopsLeaf } from './sops-tree.ts';
import { decodeBase64 } from './sops-value.ts';
import { plainMacText, plainValue, renderYamlScalar } from './yaml-scalar.ts';

interface LeafPlace {
  start: number;
  end: number;
  /** The column the value starts at. */
  column: number;
  /** The emitter's indentation for the value: block-scalar lines and folds start there. */
  indent: number;
}

interface Container {
  start: number;
  end: number;
  path: readonly string[];
}

const MAX_ALIASES_WALKED = 10_000;
// Comments are UTF-8 text in a YAML file; a lossy decode cannot happen for sops' own output.
const commentText = new TextDecoder();

const COMMENT = /(^|[ \t])#(ENC\[AES256_GCM,data:[^\]\n]*,type:comment\])/gm;

function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf('\n', offset - 1) + 1);
}

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

function nextLineStart(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl === -1 ? source.length : nl + 1;
}

const utf8 = new TextEncoder();
const STR_TAGS = new Set(['!!str', 'tag:yaml.org,2002:str']);
const BINARY_TAGS = new Set(['!!binary', 'tag:yaml.org,2002:binary']);
const NULL_TAGS = new Set(['!!null', 'tag:yaml.org,2002:null']);

/** A scalar's text as written (tagged scalars keep their source text). */
function scalarText(scalar: Scalar): string {
  if (scalar.tag !== undefined && typeof scalar.source === 'string') return scalar.source;
  return String(scalar.value ?? '');
}

/** A scalar's leaf: its string value (if a string) and the bytes sops hashes; null: none. */
function scalarLeaf(
  scalar: Scalar,
  needValue: boolean,
): { stored: string | undefined; macBytes: Uint8Array; value: PlainValue | undefined } | undefined {
  const text = scalarText(scalar);
  const tag = scalar.tag;
  if (tag !== undefined && BINARY_TAGS.has(tag)) {
    // go-yaml decodes !!binary into a string of the raw bytes; Go's base64 skips line breaks.
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(text.replace(/[\r\n]/g, ''));
    } catch {
      throw new Error('a !!binary value is not valid base64');
    }
    return {
      stored: undefined,
      macBytes: bytes,
      value: needValue ? { type: 'str', bytes } : undefined,
    };
  }
  if (scalar.type === 'PLAIN' && (tag === undefined || !STR_TAGS.has(tag))) {
    if (tag !== undefined && NULL_TAGS.has(tag)) return undefined;
    const mac = plainMacText(text);
    if (mac === undefined) return undefined;
    const value = needValue ? plainValue(text) : undefined;
    return { stored: mac === text ? text : undefined, macBytes: utf8.encode(mac), value };
  }
  const bytes = utf8.encode(text);
  return { stored: text, macBytes: bytes, value: needValue ? { type: 'str', bytes } : undefined };
}

/** A `<<` key go-yaml treats as a merge: plain, or tagged `!!merge`. */
function isMergeKey(key: Scalar): boolean {
  return key.tag === undefined ? key.type === 'PLAIN' : /(?:^!!|:)merge$/.test(key.tag);
}

function resolveAlias(node: Node | null, doc: Document.Parsed): Node | null {
  return isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? null) : node;
}

/** The column of the first key inside the `sops` mapping: the file's indentation step. */
function fileIndent(source: string, metadata: Node | null): number {
  if (!isMap(metadata)) return 4;
  const first = metadata.items[0]?.key;
  const offset = isScalar(first) ? first.range?.[0] : undefined;
  if (offset === undefined) return 4;
  const column = columnOf(source, offset);
  return column >= 2 && column <= 9 ? column : 4;
}

/**
 * Parses a YAML file; `undefined` when its first document has no top-level `sops` mapping
 * (a plain file). Throws an `Error` (no values in it) when it is not valid YAML or the
 * metadata is malformed.
 */
export function loadYamlSopsFile(source: string): LoadedSopsFile | undefined {
  const docs = parseAllDocuments(source, {
    schema: 'failsafe',
    // sops keeps `<<` as an ordinary key (written `!!merge <<`) whose value is the aliased map.
    merge: false,
    // Duplicate keys cannot slip past the MAC (every leaf is hashed); rendering rejects them.
    uniqueKeys: false,
  });
  if (!Array.isArray(docs)) return undefined;
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error)
      throw new Error(`not valid YAML: ${error.code} at line ${error.linePos?.[0].line ?? '?'}`);
  }
  const first = docs[0]?.contents;
  if (!isMap(first)) return undefined;
  const sopsPair = first.items.find((p) => isScalar(p.key) && p.key.value === 'sops');
  if (!sopsPair || !isMap(sopsPair.value)) return undefined;
  const metadata = parseSopsMetadata(sopsPair.value.toJSON());
  const bestIndent = fileIndent(source, sopsPair.value);

  const leaves: SopsLeaf[] = [];
  const places: (LeafPlace | undefined)[] = [];
  const clearValues: (PlainValue | undefined)[] = [];
  /** Line start of a value's last line -> line start of its entry, when they differ. */
  const entryLines = new Map<number, number>();
  const containers: Container[] = [];
  const scalarRanges: [number, number][] = [];
  const removals: TextEdit[] = [];
  let aliasesWalked = 0;

  const walk = (
    node: Node | null,
    path: readonly string[],
    place: 'map' | 'seq',
    keyColumn: number,
    doc: (typeof docs)[number],
    viaAlias = false,
  ): void => {
    if (node === null) return;
    if (isAlias(node)) {
      // go-yaml v3 walks the anchored node again under the alias' path; nested aliases could
      // make that exponential, so their expansion is bounded.
      if (++aliasesWalked > MAX_ALIASES_WALKED) {
        throw new Error(`more than ${MAX_ALIASES_WALKED} YAML alias expansions`);
      }
      // The anchored text is edited once, where it is; the alias keeps pointing at it.
      walk(node.resolve(doc) ?? null, path, place, keyColumn, doc, true);
      return;
    }
    if (isMap(node) || isSeq(node)) {
      if (node.range && !viaAlias)
        containers.push({ start: node.range[0], end: node.range[2], path });
      if (isSeq(node)) {
        for (const item of node.items)
          walk(item as Node | null, path, 'seq', keyColumn, doc, viaAlias);
        return;
      }
      for (const pair of node.items) {
        if (!isScalar(pair.key))
          throw new Error(`a key under ${path.join('.') || 'the root'} is not a string`);
        const key = scalarText(pair.key);
        if (key === '<<' && doc === docs[0] && isMergeKey(pair.key)) {
          // sops first decodes the first document into a Go map, which applies merge keys:
          // a merge of anything but a mapping or a list of mappings fails there.
          const target = resolveAlias(pair.value as Node | null, doc);
          const ok =
            isMap(target) ||
            (isSeq(target) && target.items.every((i) => isMap(resolveAlias(i as Node, doc))));
          if (!ok) {
            throw new Error(
              `the merge key "<<" under ${path.join('.') || 'the root'} holds neither a mapping nor a list of mappings (sops cannot decrypt this file either)`,
            );
          }
        }
        if (path.length === 0 && key === 'sops' && node === doc.contents) {
          const value = pair.value as Node | null;
          const keyStart = pair.key.range?.[0] ?? 0;
          const end = value?.range ? value.range[2] : (pair.key.range?.[2] ?? keyStart);
          const from =
            source.slice(lineStart(source, keyStart), keyStart).trim() === ''
              ? lineStart(source, keyStart)
              : keyStart;
          const to = source[end - 1] === '\n' ? end : nextLineStart(source, end);
          removals.push({ start: from, end: to, text: '', order: 0 });
          continue;
        }
        const keyStart = pair.key.range?.[0];
        // The mapping's indentation: the key's column, or its `?` for a complex key.
        const column =
          keyStart === undefined
            ? 0
            : columnOf(source, keyStart) - (source.slice(keyStart - 2, keyStart) === '? ' ? 2 : 0);
        const valueEnd = isScalar(pair.value) ? pair.value.range?.[1] : undefined;
        if (!viaAlias && pair.key.range && valueEnd !== undefined) {
          const valueLine = lineStart(source, valueEnd);
          // A complex key (`? key` on its own line): the entry starts on the key's line.
          if (lineStart(source, pair.key.range[0]) !== valueLine) {
            entryLines.set(valueLine, lineStart(source, pair.key.range[0]));
          }
        }
        walk(pair.value as Node | null, [...path, key], 'map', column, doc, viaAlias);
      }
      return;
    }
    if (!isScalar(node)) return;
    if (node.range && !viaAlias) {
      // A block scalar's header line (`|-  # comment`) is not part of its content.
      const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      const start = block ? nextLineStart(source, node.range[0]) : node.range[0];
      scalarRanges.push([start, node.range[1]]);
    }
    const leaf = scalarLeaf(node, !viaAlias && node.tag === undefined && node.type === 'PLAIN');
    if (!leaf) return;
    leaves.push({ path, stored: leaf.stored, macBytes: leaf.macBytes });
    // sops writes values it left in clear from their decoded Go values too: a plain `-0`
    // (an int) comes out `0`. Quoted, block and tagged scalars come out as sops wrote them.
    clearValues.push(leaf.value);
    if (!node.range || viaAlias) {
      places.push(undefined);
      return;
    }
    const start = node.range[0];
    const column = columnOf(source, start);
    places.push({
      start,
      end: node.range[1],
      column,
      // go-yaml indents a mapping value to the next multiple of the step after the key's
      // column, and a sequence item to just after its `- `.
      indent:
        place === 'map' ? bestIndent * Math.floor((keyColumn + bestIndent) / bestIndent) : column,
    });
  };
  const emptied: number[] = [];
  for (const doc of docs) {
    walk(doc.contents as Node | null, [], 'map', 0, doc);
    const root = doc.contents;
    if (isMap(root) && root.items.every((p) => isScalar(p.key) && p.key.value === 'sops')) {
      // Where the removed metadata started: the `{}` takes its place.
      const sops = root.items[0]?.key;
      const at = isScalar(sops) && sops.range ? lineStart(source, sops.range[0]) : undefined;
      if (at !== undefined) emptied.push(at);
    }
  }

  const comments: SopsComment[] = [];
  const commentPlaces: { start: number; end: number }[] = [];
  const inScalar = (o: number) => scalarRanges.some(([s, e]) => o >= s && o < e);
  for (const m of source.matchAll(COMMENT)) {
    const hash = (m.index ?? 0) + (m[1]?.length ?? 0);
    if (inScalar(hash)) continue;
    const around = containers
      .filter((c) => hash >= c.start && hash < c.end)
      .sort((a, b) => a.end - a.start - (b.end - b.start))
      .map((c) => c.path);
    const seen = new Set<string>();
    const paths = [...around, [], ...containers.map((c) => c.path)].filter((p) => {
      const id = JSON.stringify(p);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    comments.push({ stored: m[2] ?? '', paths });
    commentPlaces.push({ start: hash, end: hash + 1 + (m[2]?.length ?? 0) });
  }

  return {
    metadata,
    leaves,
    comments,
    emit(result) {
      const edits: TextEdit[] = [...removals];
      // Comments leading a nested list (`- - #c`): sops writes them above the outer item, at
      // its dash, and the nested list's first value joins that dash (`- - x`).
      let leading:
        | {
            first: number;
            indent: number;
            items: { line: number; dash: number; end: number; text: string }[];
          }
        | undefined;
      const closeLeading = (next: number | undefined) => {
        if (!leading) return;
        const group = leading;
        leading = undefined;
        const firstItem = group.items[0];
        const lastItem = group.items[group.items.length - 1];
        if (!firstItem || !lastItem) return;
        // Only before a plain value of the same list; before a mapping they stay in place.
        const join =
          next !== undefined && leaves[next]?.path.length === leaves[group.first]?.path.length;
        if (!join) {
          for (const item of group.items) {
            edits.push({ start: item.dash, end: item.end, text: item.text, order: 0 });
          }
          return;
        }
        for (const item of group.items) {
          edits.push({
            start: firstItem.line,
            end: firstItem.line,
            text: `${' '.repeat(group.indent)}${item.text}\n`,
            order: 1,
          });
          if (item !== firstItem) {
            edits.push({
              start: item.line,
              end: nextLineStart(source, item.end),
              text: '',
              order: 0,
            });
          }
        }
        const nextLine = nextLineStart(source, lastItem.end);
        const rest = source.slice(nextLine);
        edits.push({
          start: firstItem.dash,
          end: nextLine + (rest.length - rest.trimStart().length),
          text: '',
          order: 0,
        });
      };
      result.values.forEach((decrypted, i) => {
        const place = places[i];
        const value = decrypted ?? clearValues[i];
        if (value?.type !== 'comment') closeLeading(i);
        if (!value || !place) return;
        const rendered = renderYamlScalar(value, { ...place, bestIndent });
        if (
          !decrypted &&
          !rendered.block &&
          rendered.inline === source.slice(place.start, place.end)
        ) {
          return;
        }
        if (value.type === 'comment') {
          const line = lineStart(source, place.start);
          const dash = line + place.column - 2;
          const item = { line, dash, end: place.end, text: rendered.inline };
          const previous = leading?.items[leading.items.length - 1];
          if (
            leading &&
            previous &&
            line === nextLineStart(source, previous.end) &&
            dash - line === previous.dash - previous.line
          ) {
            leading.items.push(item);
            return;
          }
          closeLeading(i);
          const before = source.slice(line, dash);
          if (before.trim() !== '') {
            // Comments leading a nested list (`- - #c`): before a plain value, sops writes them
            // above the outer item and the value joins that dash (`- - x`).
            leading = {
              first: i,
              indent: before.length - before.trimStart().length,
              items: [item],
            };
            return;
          }
          // A comment stored as a list item becomes a comment line again, dash included.
          edits.push({ start: dash, end: place.end, text: rendered.inline, order: 0 });
          return;
        }
        edits.push({ start: place.start, end: place.end, text: rendered.inline, order: 0 });
        if (rendered.block) {
          const at = nextLineStart(source, place.end);
          const lines = `${rendered.block.join('\n')}\n`;
          edits.push({
            start: at,
            end: at,
            text: at === source.length && !source.endsWith('\n') ? `\n${lines}` : lines,
            order: 0,
          });
        }
      });
      closeLeading(undefined);
      result.comments.forEach((bytes, i) => {
        const place = commentPlaces[i];
        if (bytes === undefined || !place) return;
        const text = commentText.decode(bytes);
        const from = lineStart(source, place.start);
        const before = source.slice(from, place.start);
        if (before.trim() === '') {
          edits.push({ start: place.start, end: place.end, text: `#${text}`, order: 0 });
          return;
        }
        const trimmed = before.replace(/[ \t]+$/, '');
        const indent = before.length - before.trimStart().length;
        if (trimmed.trim() === ':') {
          // After the `:` of a complex key, before a block value: it stays there.
          edits.push({ start: place.start, end: place.end, text: `#${text}`, order: 0 });
          return;
        }
        if (trimmed.trim() === '-') {
          // After a bare `-` whose item starts on the next line: sops keeps it there.
          edits.push({ start: place.start, end: place.end, text: `#${text}`, order: 0 });
          return;
        }
        if (!entryLines.has(from) && trimmed.slice(indent).startsWith(': ')) {
          // On a complex key's `: ` line that starts its block collection: it becomes the
          // head of that collection, written right after the `:`.
          edits.push({ start: from + trimmed.length, end: place.end, text: '', order: 0 });
          const after = source.slice(from + indent + 1, place.start);
          const at = from + indent + 1 + (after.length - after.trimStart().length);
          edits.push({ start: at, end: at, text: `#${text}\n${' '.repeat(at - from)}`, order: 1 });
          return;
        }
        // sops loses the inline flag of a comment it decrypts: it comes out on its own line,
        // above the entry it trailed (the `? key` line of a complex key).
        edits.push({ start: from + trimmed.length, end: place.end, text: '', order: 0 });
        const entry = entryLines.get(from) ?? from;
        const entryText = source.slice(entry, nextLineStart(source, entry));
        const entryIndent = entryText.length - entryText.trimStart().length;
        edits.push({
          start: entry,
          end: entry,
          text: `${' '.repeat(entry === from ? indent : entryIndent)}#${text}\n`,
          order: 1,
        });
      });
      for (const start of emptied) {
        // sops writes a document holding nothing but its metadata as an empty mapping.
        edits.push({ start, end: start, text: '{}\n', order: 2 });
      }
      return utf8.encode(applyEdits(source, edits));
    },
  };
}
