/**
 * YAML output byte-for-byte as `kustomize build` writes it (go-yaml v3 through kyaml, after a
 * JSON round trip): keys sorted, sequences not indented under their key, strings that would
 * read back as another type double-quoted, strings that cannot be plain single-quoted (or
 * double-quoted when they hold special characters), multi-line strings as literal blocks, long
 * lines folded after column 80, numbers as Go prints them. A small emitter of our own, since
 * no JavaScript YAML library reproduces go-yaml's choices.
 */

import { canBePlain } from '../core/go-yaml-resolve.ts';
import { analyzeScalar, GoYamlWriter, selectScalarStyle } from '../core/go-yaml-scalar.ts';
import type { KubeObject } from '../core/object.ts';
import { sortGoYamlKeys } from './go-yaml-key-order.ts';

/** True when go-yaml would read the plain string back as something other than a string. */
export function looksLikeOtherType(s: string): boolean {
  return !canBePlain(s);
}

/**
 * Text of a string scalar written by go-yaml v2's emitter (kustomize prints through
 * sigs.k8s.io/yaml) at `column`, with folds and block-scalar lines at `indent`.
 */
function stringText(s: string, column: number, indent: number, simpleKey: boolean): string {
  const requested = s.includes('\n') ? 'literal' : canBePlain(s) ? 'plain' : 'double';
  const style = selectScalarStyle(s, requested, analyzeScalar(s, 2), { flow: false, simpleKey });
  const writer = new GoYamlWriter({ major: 2, bestIndent: 2 });
  writer.indent = indent;
  writer.column = column;
  writer.indention = false;
  writer.writeScalar(s, style, !simpleKey);
  const text = writer.text();
  // The line break that ends a block scalar is the caller's to write.
  return style === 'literal' && text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * A number as kustomize prints it. Objects pass through Go's JSON encoding, which writes an
 * integral float below 1e21 without a fraction, so it comes back as an integer (int64, or
 * uint64 below 2^64). Other numbers print as Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the
 * exponent form from 1e+06 and below 1e-04.
 */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && (Math.abs(n) < 2 ** 63 || (n > 0 && n < 2 ** 64))) {
    // Go's shortest digits, padded with zeros (JavaScript's are the same below 1e21).
    return String(n);
  }
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '.nan' : n > 0 ? '+.inf' : '-.inf';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

function keyText(key: string): string {
  return stringText(key, 0, 0, true);
}

/** Text of a scalar value written at `column`; block content and folds go to `indent`. */
function scalarText(value: unknown, column: number, indent: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return goNumber(value);
  return stringText(String(value), column, indent, false);
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (const c of s) {
    const cp = c.codePointAt(0) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function emitMap(
  map: Record<string, unknown>,
  indent: number,
  firstPrefix: string | undefined,
  out: string[],
): void {
  // go-yaml's natural key order (`a9` before `a10`), as kustomize prints maps.
  const keys = sortGoYamlKeys(Object.keys(map));
  const pad = ' '.repeat(indent);
  keys.forEach((key, i) => {
    const lead = i === 0 && firstPrefix !== undefined ? firstPrefix : pad;
    const value = map[key];
    if (utf8Length(key) > 128 || /[\n\r]/.test(key)) {
      // go-yaml writes a key longer than 128 bytes, or holding a line break, as an explicit
      // key: `? key`, then `: value`. Not a simple key, it is written as a value would be.
      out.push(`${lead}? ${stringText(key, [...lead].length + 2, indent + 2, false)}\n`);
      if (isMap(value) && Object.keys(value).length > 0) {
        emitMap(value, indent + 2, `${pad}: `, out);
      } else if (Array.isArray(value) && value.length > 0) {
        emitSeq(value, indent + 2, `${pad}: `, out);
      } else if (isMap(value)) out.push(`${pad}: {}\n`);
      else if (Array.isArray(value)) out.push(`${pad}: []\n`);
      else out.push(`${pad}: ${scalarText(value, indent + 2, indent + 2)}\n`);
      return;
    }
    const k = keyText(key);
    if (isMap(value) && Object.keys(value).length > 0) {
      out.push(`${lead}${k}:\n`);
      emitMap(value, indent + 2, undefined, out);
    } else if (Array.isArray(value) && value.length > 0) {
      out.push(`${lead}${k}:\n`);
      emitSeq(value, indent, undefined, out);
    } else if (isMap(value)) {
      out.push(`${lead}${k}: {}\n`);
    } else if (Array.isArray(value)) {
      out.push(`${lead}${k}: []\n`);
    } else {
      const prefix = `${lead}${k}: `;
      out.push(`${prefix}${scalarText(value, [...prefix].length, indent + 2)}\n`);
    }
  });
}

function emitSeq(
  items: unknown[],
  indent: number,
  firstPrefix: string | undefined,
  out: string[],
): void {
  const pad = ' '.repeat(indent);
  items.forEach((item, i) => {
    const lead = `${i === 0 && firstPrefix !== undefined ? firstPrefix : pad}- `;
    if (isMap(item) && Object.keys(item).length > 0) emitMap(item, indent + 2, lead, out);
    else if (Array.isArray(item) && item.length > 0) emitSeq(item, indent + 2, lead, out);
    else if (isMap(item)) out.push(`${lead}{}\n`);
    else if (Array.isArray(item)) out.push(`${lead}[]\n`);
    else out.push(`${lead}${scalarText(item, [...lead].length, indent + 2)}\n`);
  });
}

/** One object as YAML. */
export function objectToYaml(object: KubeObject): string {
  const out: string[] = [];
  if (Object.keys(object).length === 0) return '{}\n';
  emitMap(object as Record<string, unknown>, 0, undefined, out);
  return out.join('');
}

/** Objects separated by `---`, as `kustomize build` prints them. */
export function objectsToYaml(objects: KubeObject[]): string {
  return objects.map(objectToYaml).join('---\n');
}
