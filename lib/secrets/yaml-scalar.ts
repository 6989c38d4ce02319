/**
 * YAML scalars as go-yaml v3 (the library sops is built on) reads and writes them: which plain
 * scalars are null, bool, int or float, and which style it picks when it writes a string. Both
 * matter for interop: the MAC hashes Go's text of each value, and `sops --decrypt` prints the
 * styles chosen here.
 */

import { toBase64 } from '../core/encoding.ts';
import { canBePlain, resolvePlain } from '../core/go-yaml-resolve.ts';
import {
  analyzeScalar,
  GoYamlWriter,
  type ScalarStyle,
  selectScalarStyle,
} from '../core/go-yaml-scalar.ts';
import { formatFloatF, formatFloatG, validUtf8 } from './go-format.ts';
import type { PlainValue } from './sops-tree.ts';

/** Go's text of a plain scalar's value, as the sops MAC hashes it (undefined for null). */
export function plainMacText(text: string): string | undefined {
  const r = resolvePlain(text);
  switch (r.kind) {
    case 'null':
      return undefined;
    case 'bool':
      return r.value ? 'True' : 'False';
    case 'int':
      return r.text;
    case 'float':
      return formatFloatF(r.value);
    case 'time':
      return r.text;
    default:
      return text;
  }
}

/** The Go value go-yaml v3 decodes a plain scalar into, as sops holds it (undefined for null). */
export function plainValue(text: string): PlainValue | undefined {
  const r = resolvePlain(text);
  switch (r.kind) {
    case 'null':
      return undefined;
    case 'bool':
      return { type: 'bool', value: r.value };
    case 'int':
      return { type: 'int', value: r.text };
    case 'float':
      return { type: 'float', value: r.value };
    case 'time':
      return { type: 'time', value: r.text };
    default:
      return { type: 'str', bytes: utf8.encode(text) };
  }
}

const utf8 = new TextEncoder();

/** A rendered scalar: `inline` replaces the value; `block` lines (if any) follow its line. */
export interface RenderedScalar {
  inline: string;
  block?: string[];
}

/** Where a value is written: its column, and the indentation go-yaml's emitter is at. */
export interface ScalarPlace {
  /** Column the value starts at (after `key: ` or `- `). */
  column: number;
  /** The emitter's indentation for the value: block-scalar lines and folds start there. */
  indent: number;
  /** The file's indentation step (`stores.yaml.indent`, 4 by default). */
  bestIndent: number;
}

/**
 * go-yaml's `!!binary` text of bytes that are not UTF-8: standard base64, cut into lines of 70
 * characters each ending with a line break when it is longer than one line.
 */
export function binaryText(bytes: Uint8Array): string {
  const b64 = toBase64(bytes);
  if (b64.length < 70) return b64;
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${lines.join('\n')}\n`;
}

/**
 * Renders a decrypted value as `sops --decrypt` writes it: go-yaml v3 encodes the Go value
 * (a string that is not UTF-8 becomes `!!binary` base64), in block context at `place`.
 */
export function renderYamlScalar(plain: PlainValue, place: ScalarPlace): RenderedScalar {
  const writer = new GoYamlWriter({ bestIndent: place.bestIndent, major: 3 });
  writer.indent = place.indent;
  writer.column = place.column;
  writer.indention = false;
  const write = (value: string, requested: ScalarStyle) => {
    const analysis = analyzeScalar(value, 3);
    const style = selectScalarStyle(value, requested, analysis, { flow: false, simpleKey: false });
    writer.writeScalar(value, style, true);
  };
  switch (plain.type) {
    case 'int':
    case 'time':
      write(plain.value, 'plain');
      break;
    case 'bool':
      write(plain.value ? 'true' : 'false', 'plain');
      break;
    case 'comment':
      return { inline: `#${plain.value}` };
    case 'float': {
      const g = formatFloatG(plain.value);
      write(g === '+Inf' ? '.inf' : g === '-Inf' ? '-.inf' : g === 'NaN' ? '.nan' : g, 'plain');
      break;
    }
    default: {
      const text = validUtf8(plain.bytes);
      if (text === undefined) {
        const b64 = binaryText(plain.bytes);
        writer.writeTag('!!binary');
        write(b64, b64.includes('\n') ? 'literal' : 'plain');
      } else if (text === '<<') {
        // Read back, a plain `<<` is a merge key: go-yaml keeps the tag it resolved to.
        writer.writeTag('!!merge');
        write(text, 'plain');
      } else {
        write(text, text.includes('\n') ? 'literal' : canBePlain(text) ? 'plain' : 'double');
      }
    }
  }
  const out = writer.text();
  const style = /^(?:!!binary )?\|/.test(out);
  if (!style) return { inline: out };
  // A block scalar: its header stays on the value's line, its lines follow that line.
  const nl = out.indexOf('\n');
  const body = out.slice(nl + 1);
  const lines = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  return { inline: out.slice(0, nl), block: lines };
}
