/**
 * SOPS JSON files (and the binary format, a JSON envelope with one `data` value). Parsed by
 * hand to keep key order (integer-like keys included) and number literals exact; written back
 * as Go's encoding/json and json.Indent with tabs do, which is what `sops --decrypt` prints.
 */

import { toBase64 } from '../core/encoding.ts';
import { canonicalInt, formatFloatF, goRunes, macBool } from './go-format.ts';
import type { LoadedSopsFile } from './sops-file.ts';
import { parseSopsMetadata } from './sops-metadata.ts';
import type { PlainValue, SopsLeaf } from './sops-tree.ts';

type JsonNode =
  | { kind: 'object'; entries: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'leaf'; index: number };

const utf8 = new TextEncoder();

class JsonReader {
  private i = 0;
  private readonly s: string;
  constructor(source: string) {
    this.s = source;
  }

  fail(what: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new Error(`not valid JSON: ${what} at line ${line}`);
  }

  private ws(): void {
    while (/[ \t\r\n]/.test(this.s[this.i] ?? '')) this.i++;
  }

  document(): JsonNode {
    const node = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected text after the document');
    return node;
  }

  private value(): JsonNode {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'string', value: this.string() };
    const literal = /^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!literal?.[0]) this.fail('unexpected character');
    const text = literal[0];
    this.i += text.length;
    if (text === 'true' || text === 'false') return { kind: 'bool', value: text === 'true' };
    if (text === 'null') return { kind: 'null' };
    return { kind: 'number', text };
  }

  private object(): JsonNode {
    this.i++;
    const entries: [string, JsonNode][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected ":"');
      entries.push([key, this.value()]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { kind: 'object', entries };
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private array(): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { kind: 'array', items };
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    let j = this.i + 1;
    while (j < this.s.length && this.s[j] !== '"') j += this.s[j] === '\\' ? 2 : 1;
    if (j >= this.s.length) this.fail('unterminated string');
    const literal = this.s.slice(this.i, j + 1);
    this.i = j + 1;
    try {
      // JSON.parse applies the escapes and rejects raw control characters.
      return JSON.parse(literal) as string;
    } catch {
      this.fail('invalid string');
    }
  }
}

function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.entries.map(([k, v]) => [k, toPlain(v)]));
    case 'array':
      return node.items.map(toPlain);
    case 'string':
    case 'bool':
      return node.value;
    case 'number':
      return Number(node.text);
    default:
      return null;
  }
}

/** Go's text of a JSON number as sops decodes it: int64 when it is one, else float64. */
function numberMacText(text: string): string {
  return canonicalInt(text) ?? formatFloatF(Number(text));
}

/** Go `json.Marshal` of a float64. */
function goJsonFloat(value: number): string {
  if (!Number.isFinite(value))
    throw new Error('a float is not finite and cannot be written as JSON');
  return Object.is(value, -0) ? '-0' : String(value);
}

/**
 * Go `json.Marshal` of a string: HTML-safe escapes, U+2028/U+2029 escaped, and each byte that
 * is not valid UTF-8 written as `\ufffd`.
 */
export function goJsonString(value: string | Uint8Array): string {
  let out = '"';
  const chars = typeof value === 'string' ? value : goRunes(value);
  for (const c of chars) {
    if (c === undefined) {
      out += '\\ufffd';
      continue;
    }
    const cp = c.codePointAt(0) as number;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (cp < 0x20 || c === '<' || c === '>' || c === '&' || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += c;
  }
  return `${out}"`;
}

function plainJson(value: PlainValue): string {
  switch (value.type) {
    case 'int':
      return value.value;
    case 'float':
      return goJsonFloat(value.value);
    case 'bool':
      return String(value.value);
    case 'str':
      return goJsonString(value.bytes);
    case 'time':
      return goJsonString(value.value);
    case 'bytes':
      // encoding/json writes a []byte as its standard base64.
      return goJsonString(toBase64(value.bytes));
    default:
      return goJsonString(value.value);
  }
}

function render(
  node: JsonNode,
  depth: number,
  leafText: (index: number) => string,
  unit = '\t',
): string {
  const pad = unit.repeat(depth + 1);
  const end = unit.repeat(depth);
  switch (node.kind) {
    case 'object':
      if (node.entries.length === 0) return '{}';
      return `{\n${node.entries.map(([k, v]) => `${pad}${goJsonString(k)}: ${render(v, depth + 1, leafText, unit)}`).join(',\n')}\n${end}}`;
    case 'array':
      if (node.items.length === 0) return '[]';
      return `[\n${node.items.map((v) => pad + render(v, depth + 1, leafText, unit)).join(',\n')}\n${end}]`;
    case 'leaf':
      return leafText(node.index);
    case 'string':
      return goJsonString(node.value);
    case 'number':
      return canonicalInt(node.text) ?? goJsonFloat(Number(node.text));
    case 'bool':
      return String(node.value);
    default:
      return 'null';
  }
}

/**
 * Parses a JSON file; `undefined` when it has no top-level `sops` object. With `binary`, the
 * file is sops' envelope for an opaque file and the plaintext is its `data` value, verbatim.
 */
export function loadJsonSopsFile(source: string, binary = false): LoadedSopsFile | undefined {
  const root = new JsonReader(source).document();
  if (root.kind !== 'object') return undefined;
  const sops = root.entries.find(([k]) => k === 'sops');
  if (sops?.[1].kind !== 'object') return undefined;
  const metadata = parseSopsMetadata(toPlain(sops[1]));
  const leaves: SopsLeaf[] = [];
  const stored: string[] = [];

  const walk = (node: JsonNode, path: readonly string[]): JsonNode => {
    switch (node.kind) {
      case 'object':
        return {
          kind: 'object',
          entries: node.entries.map(([k, v]) => [k, walk(v, [...path, k])]),
        };
      case 'array':
        return { kind: 'array', items: node.items.map((v) => walk(v, path)) };
      case 'null':
        return node;
      default: {
        const index = leaves.length;
        if (node.kind === 'string') {
          leaves.push({ path, stored: node.value, macBytes: utf8.encode(node.value) });
          stored.push(goJsonString(node.value));
        } else if (node.kind === 'number') {
          const macBytes = utf8.encode(numberMacText(node.text));
          leaves.push({ path, stored: undefined, macBytes });
          stored.push(render(node, 0, () => ''));
        } else if (node.kind === 'bool') {
          leaves.push({ path, stored: undefined, macBytes: utf8.encode(macBool(node.value)) });
          stored.push(String(node.value));
        }
        return { kind: 'leaf', index };
      }
    }
  };
  const tree = walk({ kind: 'object', entries: root.entries.filter(([k]) => k !== 'sops') }, []);
  // sops writes with json.Indent and the `stores.json.indent` setting (a tab by default): the
  // second line of the file, always a member of the top-level object, shows the unit.
  const indentUnit = /^\{\r?\n([ \t]*)"/.exec(source)?.[1] ?? '\t';

  return {
    metadata,
    leaves,
    comments: [],
    emit(result) {
      const text = (i: number) => {
        const value = result.values[i];
        return value ? plainJson(value) : (stored[i] ?? 'null');
      };
      if (binary) {
        const index =
          tree.kind === 'object' ? tree.entries.find(([k]) => k === 'data')?.[1] : undefined;
        if (index?.kind !== 'leaf') throw new Error('the binary envelope has no data value');
        const value = result.values[index.index];
        // The file's bytes exactly as they were encrypted: any byte, UTF-8 or not.
        if (value?.type === 'str') return value.bytes;
        if (value) throw new Error('the binary envelope does not hold a string');
        return utf8.encode(leaves[index.index]?.stored ?? '');
      }
      return utf8.encode(`${render(tree, 0, text, indentUnit)}\n`);
    },
  };
}
