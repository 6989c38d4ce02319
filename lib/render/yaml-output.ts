/**
 * YAML output byte-for-byte as `kustomize build` writes it (go-yaml v3 through kyaml, after a
 * JSON round trip): keys sorted, sequences not indented under their key, strings that would
 * read back as another type double-quoted, strings that cannot be plain single-quoted (or
 * double-quoted when they hold special characters), multi-line strings as literal blocks, long
 * lines folded after column 80, numbers as Go prints them. A small emitter of our own, since
 * no JavaScript YAML library reproduces go-yaml's choices.
 */
import type { KubeObject } from '../core/object.ts';
import { goTimestampText } from './go-timestamp.ts';
import { sortGoYamlKeys } from './go-yaml-key-order.ts';

const bestWidth = 80;

// `<<` is not here: go-yaml writes the string `<<` plain, as kustomize's output shows.
const nullish = /^(?:~|null|Null|NULL)$/;
const bools =
  /^(?:true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const ints = /^[-+]?(?:0[bB][01_]+|0[oO]?[0-7_]+|0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const floats = /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$/;
const specialFloats = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const base60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
/** True when go-yaml would read the plain string back as something other than a string. */
export function looksLikeOtherType(s: string): boolean {
  return (
    s === '' ||
    nullish.test(s) ||
    bools.test(s) ||
    ints.test(s) ||
    floats.test(s) ||
    specialFloats.test(s) ||
    base60.test(s) ||
    goTimestampText(s) !== undefined
  );
}

function printable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    // go-yaml's printable test knows no character beyond U+FFFF: those are escaped (\U...).
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

type Style = 'plain' | 'single' | 'double' | 'literal';

const firstIndicators = new Set([
  '#',
  ',',
  '[',
  ']',
  '{',
  '}',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
]);

/** go-yaml's scalar analysis, reduced to the style it ends up choosing in block context. */
function chooseStyle(s: string, isKey: boolean): Style {
  if (looksLikeOtherType(s)) return 'double';
  const chars = [...s];
  let blockIndicators = false;
  let special = false;
  let lineBreaks = false;
  let spaceBreak = false;
  let breakSpace = false;
  let previousSpace = false;
  let previousBreak = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  if (
    (s.startsWith('---') || s.startsWith('...')) &&
    (chars.length === 3 || /[\s]/.test(chars[3] ?? ''))
  ) {
    blockIndicators = true;
  }
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const next = chars[i + 1];
    const followedByBlank = next === undefined || next === ' ' || next === '\t' || next === '\n';
    if (i === 0) {
      if (firstIndicators.has(c)) blockIndicators = true;
      if ((c === '?' || c === ':') && followedByBlank) blockIndicators = true;
      if (c === '-' && followedByBlank) blockIndicators = true;
    } else {
      if (c === ':' && followedByBlank) blockIndicators = true;
      if (c === '#' && (chars[i - 1] === ' ' || chars[i - 1] === '\t' || chars[i - 1] === '\n')) {
        blockIndicators = true;
      }
    }
    const cp = c.codePointAt(0) as number;
    if (!printable(cp)) special = true;
    if (c === '\n') lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (c === '\n') {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
  }
  let plain = true;
  let single = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plain = false;
  if (trailingSpace) block = false;
  if (breakSpace) {
    plain = false;
    single = false;
  }
  if (spaceBreak || special) {
    plain = false;
    single = false;
    block = false;
  }
  if (lineBreaks) plain = false;
  if (blockIndicators) plain = false;
  if (lineBreaks && !isKey) return block ? 'literal' : 'double';
  if (plain) return 'plain';
  if (single && !lineBreaks) return 'single';
  return 'double';
}

/** `c` in a double-quoted scalar; `all` escapes even printable characters (see flowScalar). */
function escapeDouble(c: string, all = false): string {
  switch (c) {
    case '\0':
      return '\\0';
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\v':
      return '\\v';
    case '\f':
      return '\\f';
    case '\r':
      return '\\r';
    case '\x1b':
      return '\\e';
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\u0085':
      return '\\N';
    case '\u00a0':
      // Printable for go-yaml: written as it is, unless everything is escaped.
      return all ? '\\_' : c;
    case '\u2028':
      return '\\L';
    case '\u2029':
      return '\\P';
  }
  const cp = c.codePointAt(0) as number;
  if (!all && printable(cp) && cp !== 0xfeff) return c;
  if (cp <= 0xff) return `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Writes a flow scalar starting at `column`; folded lines continue at `indent`. */
function flowScalar(
  s: string,
  style: Style,
  column: number,
  indent: number,
  allowBreaks: boolean,
): string {
  const chars = [...s];
  let out = style === 'single' ? "'" : style === 'double' ? '"' : '';
  let col = column + out.length;
  let spaces = false;
  // go-yaml escapes every character of a double-quoted string that starts with a BOM (so a
  // `!!binary` value decoding to EF BB BF ... prints as kustomize prints it).
  const escapeAll = style === 'double' && chars[0] === '\ufeff';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (escapeAll) {
      const text = escapeDouble(c, true);
      out += text;
      col += text.length;
      continue;
    }
    if (c === ' ') {
      const next = chars[i + 1];
      const canBreak =
        allowBreaks &&
        !spaces &&
        col > bestWidth &&
        (style === 'plain'
          ? next !== ' '
          : style === 'single'
            ? i !== 0 && i !== chars.length - 1 && next !== ' '
            : i !== 0 && i !== chars.length - 1);
      if (canBreak) {
        out += `\n${' '.repeat(indent)}`;
        col = indent;
        if (style === 'double' && next === ' ') {
          out += '\\';
          col++;
        }
      } else {
        out += c;
        col++;
      }
      spaces = true;
      continue;
    }
    spaces = false;
    const text = style === 'single' && c === "'" ? "''" : style === 'double' ? escapeDouble(c) : c;
    out += text;
    col += [...text].length;
  }
  if (style === 'single') out += "'";
  if (style === 'double') out += '"';
  return out;
}

/** A literal block scalar: header and content lines at `indent`. */
function literalBlock(s: string, indent: number): string {
  let header = '|';
  if (s.startsWith(' ') || s.startsWith('\n')) header += '2';
  if (!s.endsWith('\n')) header += '-';
  else if (s === '\n' || s.endsWith('\n\n')) header += '+';
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  const pad = ' '.repeat(indent);
  const lines = body.split('\n').map((line) => (line === '' ? '' : pad + line));
  return `${header}\n${lines.join('\n')}`;
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
  const style = chooseStyle(key, true);
  return flowScalar(key, style === 'literal' ? 'double' : style, 0, 0, false);
}

/** Text of a scalar value written at `column`; block content and folds go to `indent`. */
function scalarText(value: unknown, column: number, indent: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return goNumber(value);
  const s = String(value);
  const style = chooseStyle(s, false);
  if (style === 'literal') return literalBlock(s, indent);
  return flowScalar(s, style, column, indent, true);
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
      out.push(`${lead}? ${scalarText(key, [...lead].length + 2, indent + 2)}\n`);
      if (isMap(value) && Object.keys(value).length > 0)
        emitMap(value, indent + 2, `${pad}: `, out);
      else if (Array.isArray(value) && value.length > 0)
        emitSeq(value, indent + 2, `${pad}: `, out);
      else if (isMap(value)) out.push(`${pad}: {}\n`);
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
