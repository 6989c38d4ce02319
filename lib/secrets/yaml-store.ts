/**
 * SOPS YAML files. The encrypted file was written by sops' YAML emitter, so the plaintext is
 * produced by editing it in place: each `ENC[...]` scalar becomes its value in the style
 * go-yaml v3 would pick, each encrypted comment its text, and the `sops` blocks go. Everything
 * else stays byte for byte, which is what `sops --decrypt` prints for files sops wrote.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, type Scalar } from 'yaml';
import { applyEdits, type LoadedSopsFile, type TextEdit } from './sops-file.ts';
import { parseSopsMetadata } from './sops-metadata.ts';
import type { SopsComment, SopsLeaf } from './sops-tree.ts';
import { plainMacText, renderYamlScalar } from './yaml-scalar.ts';

interface LeafPlace {
  start: number;
  end: number;
  /** Column block-scalar lines start at, if the value turns into a block scalar. */
  blockIndent: number;
}

interface Container {
  start: number;
  end: number;
  path: readonly string[];
}

const MAX_ALIASES_WALKED = 10_000;

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

/** A scalar's leaf: its string value (if a string) and Go's text of its value; null: none. */
function scalarLeaf(scalar: Scalar): { stored: string | undefined; macText: string } | undefined {
  const text = String(scalar.value ?? '');
  const tag = scalar.tag;
  if (scalar.type === 'PLAIN' && tag !== '!!str' && tag !== 'tag:yaml.org,2002:str') {
    if (tag === '!!null' || tag === 'tag:yaml.org,2002:null') return undefined;
    const mac = plainMacText(text);
    if (mac === undefined) return undefined;
    return { stored: mac === text ? text : undefined, macText: mac };
  }
  return { stored: text, macText: text };
}

/**
 * Parses a YAML file; `undefined` when its first document has no top-level `sops` mapping
 * (a plain file). Throws an `Error` (no values in it) when it is not valid YAML or the
 * metadata is malformed.
 */
export function loadYamlSopsFile(source: string): LoadedSopsFile | undefined {
  const docs = parseAllDocuments(source, {
    schema: 'failsafe',
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

  const leaves: SopsLeaf[] = [];
  const places: (LeafPlace | undefined)[] = [];
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
        const key = String(pair.key.value);
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
        const column = pair.key.range ? columnOf(source, pair.key.range[0]) : 0;
        walk(pair.value as Node | null, [...path, key], 'map', column, doc, viaAlias);
      }
      return;
    }
    if (!isScalar(node)) return;
    if (node.range && !viaAlias) scalarRanges.push([node.range[0], node.range[1]]);
    const leaf = scalarLeaf(node);
    if (!leaf) return;
    leaves.push({ path, ...leaf });
    if (!node.range || viaAlias) {
      places.push(undefined);
      return;
    }
    const start = node.range[0];
    places.push({
      start,
      end: node.range[1],
      blockIndent: place === 'map' ? keyColumn + 4 : columnOf(source, start),
    });
  };
  for (const doc of docs) {
    walk(doc.contents as Node | null, [], 'map', 0, doc);
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
      result.values.forEach((value, i) => {
        const place = places[i];
        if (!value || !place) return;
        const rendered = renderYamlScalar(value, place.blockIndent);
        // A comment stored as a list item becomes a comment line again, dash included.
        const start =
          value.type === 'comment'
            ? lineStart(source, place.start) + place.blockIndent - 2
            : place.start;
        edits.push({ start, end: place.end, text: rendered.inline, order: 0 });
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
      result.comments.forEach((text, i) => {
        const place = commentPlaces[i];
        if (text === undefined || !place) return;
        const from = lineStart(source, place.start);
        const before = source.slice(from, place.start);
        if (before.trim() === '') {
          edits.push({ start: place.start, end: place.end, text: `#${text}`, order: 0 });
          return;
        }
        // sops loses the inline flag of a comment it decrypts: it comes out on its own line,
        // above the entry it trailed.
        const trimmed = before.replace(/[ \t]+$/, '');
        edits.push({ start: from + trimmed.length, end: place.end, text: '', order: 0 });
        const indent = before.length - before.trimStart().length;
        edits.push({ start: from, end: from, text: `${' '.repeat(indent)}#${text}\n`, order: 1 });
      });
      return applyEdits(source, edits);
    },
  };
}
