/**
 * YAML scalars as go-yaml v3 (the library sops is built on) reads and writes them: which plain
 * scalars are null, bool, int or float, and which style it picks when it writes a string. Both
 * matter for interop: the MAC hashes Go's text of each value, and `sops --decrypt` prints the
 * styles chosen here.
 */
import { formatFloatF, formatFloatG } from './go-format.ts';
import type { PlainValue } from './sops-tree.ts';

/** What go-yaml v3 decodes a plain scalar into (`interface{}` target). */
export type ResolvedPlain =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; text: string }
  | { kind: 'float'; value: number }
  | { kind: 'time'; text: string }
  | { kind: 'str' };

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const OLD_BOOLS = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'on',
  'On',
  'ON',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'off',
  'Off',
  'OFF',
]);
const INFINITIES: Record<string, number> = {
  '.nan': Number.NaN,
  '.NaN': Number.NaN,
  '.NAN': Number.NaN,
  '.inf': Infinity,
  '.Inf': Infinity,
  '.INF': Infinity,
  '+.inf': Infinity,
  '+.Inf': Infinity,
  '+.INF': Infinity,
  '-.inf': -Infinity,
  '-.Inf': -Infinity,
  '-.INF': -Infinity,
};
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_FLOAT = /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/;
// The layouts go-yaml v3 tries (resolve.go): RFC 3339 with T or t, a space without zone, a date.
const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})|( )([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(\.[0-9]+)?)?$/;

const two = (s: string | undefined) => (s ?? '0').padStart(2, '0');

/** Go's `MarshalText` of a timestamp go-yaml v3 accepts, or undefined when it accepts none. */
function timestampText(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, t, h1, mi1, s1, f1, zone, sp, h2, mi2, s2, f2] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const date = `${y}-${two(mo)}-${two(d)}`;
  if (!t && !sp) return `${date}T00:00:00Z`;
  const [h, mi, s, f] = t ? [h1, mi1, s1, f1] : [h2, mi2, s2, f2];
  const nanos = (f ?? '').slice(1, 10).replace(/0+$/, '');
  const offset = !zone || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${date}T${two(h)}:${two(mi)}:${two(s)}${nanos ? `.${nanos}` : ''}${offset}`;
}
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `strconv.ParseInt(s, 0, 64)` on a string without underscores. */
function parseIntBase0(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)$/.exec(s);
  if (!m) return undefined;
  const [, sign = '', body = ''] = m;
  let digits = body;
  if (/^0[0-7]/.test(body)) digits = `0o${body.slice(1)}`;
  const n = BigInt(digits.toLowerCase().replace(/^0o/, '0o'));
  return sign === '-' ? -n : n;
}

/** How go-yaml v3 resolves an untagged plain scalar decoded into `interface{}`. */
export function resolvePlain(text: string): ResolvedPlain {
  if (NULLS.has(text)) return { kind: 'null' };
  if (TRUES.has(text)) return { kind: 'bool', value: true };
  if (FALSES.has(text)) return { kind: 'bool', value: false };
  const inf = INFINITIES[text];
  if (inf !== undefined) return { kind: 'float', value: inf };
  const first = text[0] ?? '';
  if (first === '.') {
    if (GO_FLOAT.test(text)) return { kind: 'float', value: Number(text) };
    return { kind: 'str' };
  }
  if (!/[-+0-9]/.test(first)) return { kind: 'str' };
  const time = timestampText(text);
  if (time !== undefined) return { kind: 'time', text: time };
  const plain = text.replace(/_/g, '');
  const n = parseIntBase0(plain);
  if (n !== undefined && n >= INT64_MIN && n <= INT64_MAX)
    return { kind: 'int', text: n.toString() };
  if (n !== undefined && n >= 0n && n < 2n ** 64n) return { kind: 'int', text: n.toString() };
  if (YAML_FLOAT.test(plain)) return { kind: 'float', value: Number(plain) };
  const m = /^(-?)0([bo])([0-7]+)$/.exec(plain);
  if (m) return { kind: 'int', text: BigInt(`${m[1]}0${m[2]}${m[3]}`).toString() };
  return { kind: 'str' };
}

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

function isBreak(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

interface Analysis {
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

/** libyaml's scalar analysis (emitterc.go), for block context. */
function analyze(value: string): Analysis {
  if (value === '') return { blockPlain: true, singleQuoted: true, block: false };
  const cps = [...value].map((c) => c.codePointAt(0) as number);
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  cps.forEach((cp, i) => {
    const next = cps[i + 1];
    const followedByWhitespace =
      next === undefined || next === 0x20 || next === 0x09 || isBreak(next);
    const c = String.fromCodePoint(cp);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace)
        blockIndicators = true;
    } else if (c === ':' && followedByWhitespace) blockIndicators = true;
    else if (c === '#' && precededByWhitespace) blockIndicators = true;
    if (cp === 0x09) tabs = true;
    else if (!isPrintable(cp)) special = true;
    if (cp === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(cp)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = cp === 0x20 || cp === 0x09 || isBreak(cp);
  });
  let blockPlain = true;
  let singleQuoted = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) blockPlain = singleQuoted = false;
  if (spaceBreak || tabs || special) blockPlain = singleQuoted = false;
  if (spaceBreak || special) block = false;
  if (lineBreaks) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  return { blockPlain, singleQuoted, block };
}

const ESCAPES: Record<number, string> = {
  0: '\\0',
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  27: '\\e',
  34: '\\"',
  92: '\\\\',
  133: '\\N',
  160: '\\_',
  8232: '\\L',
  8233: '\\P',
};

function doubleQuoted(value: string): string {
  let out = '"';
  // libyaml tests for a byte-order mark at the start of the value, not at each character:
  // a value starting with one has every character escaped.
  const bom = value.startsWith('\ufeff');
  for (const c of value) {
    const cp = c.codePointAt(0) as number;
    const escaped = bom || !isPrintable(cp) || isBreak(cp) || c === '"' || c === '\\';
    if (!escaped) out += c;
    else if (ESCAPES[cp] !== undefined) out += ESCAPES[cp];
    else {
      const hex = cp.toString(16).toUpperCase();
      if (cp <= 0xff) out += `\\x${hex.padStart(2, '0')}`;
      else if (cp <= 0xffff) out += `\\u${hex.padStart(4, '0')}`;
      else out += `\\U${hex.padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/** libyaml's single-quoted writer: after line breaks other than LF, it indents the next line. */
function singleQuoted(value: string, indent: number): string {
  let out = "'";
  let afterBreak = false;
  for (const c of value) {
    const cp = c.codePointAt(0) as number;
    if (isBreak(cp)) {
      out += c;
      afterBreak = true;
      continue;
    }
    if (afterBreak) out += ' '.repeat(indent);
    afterBreak = false;
    out += c === "'" ? "''" : c;
  }
  return `${out}'`;
}

/** A rendered scalar: `inline` goes where the value was; `block` lines (if any) follow the line. */
export interface RenderedScalar {
  inline: string;
  block?: string[];
}

/**
 * Renders a decrypted value as go-yaml v3 writes it in block context; `indent` is the column
 * block-scalar content lines start at.
 */
export function renderYamlScalar(plain: PlainValue, indent: number): RenderedScalar {
  switch (plain.type) {
    case 'int':
      return { inline: plain.value };
    case 'bool':
      return { inline: plain.value ? 'true' : 'false' };
    case 'time':
      return { inline: plain.value };
    case 'comment':
      return { inline: `#${plain.value}` };
    case 'float': {
      const g = formatFloatG(plain.value);
      return { inline: g === '+Inf' ? '.inf' : g === '-Inf' ? '-.inf' : g === 'NaN' ? '.nan' : g };
    }
    default:
      return renderString(plain.value, indent);
  }
}

function renderString(value: string, indent: number): RenderedScalar {
  const resolved = resolvePlain(value);
  const canUsePlain =
    resolved.kind === 'str' &&
    !OLD_BOOLS.has(value) &&
    !/^[-+0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/.test(value);
  const a = analyze(value);
  if (value.includes('\n')) {
    if (a.block) return literal(value, indent);
    return { inline: doubleQuoted(value) };
  }
  if (canUsePlain) {
    if (a.blockPlain) return { inline: value };
    if (a.singleQuoted) return { inline: singleQuoted(value, indent) };
  }
  return { inline: doubleQuoted(value) };
}

function literal(value: string, indent: number): RenderedScalar {
  const first = value.codePointAt(0) as number;
  let header = '|';
  if (first === 0x20 || isBreak(first)) header += '4';
  if (!value.endsWith('\n')) header += '-';
  else if (value === '\n' || value.endsWith('\n\n')) header += '+';
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const pad = ' '.repeat(indent);
  const block = body.split('\n').map((line) => (line === '' ? '' : pad + line));
  return { inline: header, block };
}
