/**
 * YAML scalars as go-yaml v3 (the library sops is built on) reads and writes them: which plain
 * scalars are null, bool, int or float, and which style it picks when it writes a string. Both
 * matter for interop: the MAC hashes Go's text of each value, and `sops --decrypt` prints the
 * styles chosen here.
 */
import {
  analyzeScalar,
  GoYamlWriter,
  type ScalarStyle,
  selectScalarStyle,
} from '../core/go-yaml-scalar.ts';
import { formatFloatF, formatFloatG, validUtf8 } from './go-format.ts';
import type { PlainValue } from './sops-tree.ts';
import { encodeBase64 } from './sops-value.ts';

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
// The layouts go-yaml v3 tries (resolve.go) with time.Parse: RFC 3339 with T or t (one- or
// two-digit fields, fraction with a period or a comma), a space without zone, a date.
const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})([.,][0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})|( )([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})([.,][0-9]+)?)?$/;

const two = (s: string | undefined) => (s ?? '0').padStart(2, '0');

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Go's `MarshalText` of a timestamp go-yaml v3 accepts, or undefined when time.Parse fails. */
function timestampText(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, t, h1, mi1, s1, f1, zone, sp, h2, mi2, s2, f2] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return undefined;
  const date = `${y}-${two(mo)}-${two(d)}`;
  if (!t && !sp) return `${date}T00:00:00Z`;
  const [h, mi, sec, f] = t ? [h1, mi1, s1, f1] : [h2, mi2, s2, f2];
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 24 || Number(zone.slice(4)) > 60)) {
    return undefined;
  }
  const nanos = (f ?? '').slice(1, 10).replace(/0+$/, '');
  const offset = !zone || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${date}T${two(h)}:${two(mi)}:${two(sec)}${nanos ? `.${nanos}` : ''}${offset}`;
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
    // strconv.ParseFloat fails on overflow: such a scalar stays a string.
    if (GO_FLOAT.test(text) && Number.isFinite(Number(text))) {
      return { kind: 'float', value: Number(text) };
    }
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
  if (YAML_FLOAT.test(plain) && Number.isFinite(Number(plain))) {
    return { kind: 'float', value: Number(plain) };
  }
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
      return { type: 'str', bytes: new TextEncoder().encode(text) };
  }
}

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

/** Whether go-yaml's encoder may write `value` as a plain scalar (it reads back as a string). */
export function canBePlain(value: string): boolean {
  return (
    resolvePlain(value).kind === 'str' &&
    !OLD_BOOLS.has(value) &&
    !/^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(value)
  );
}

/**
 * go-yaml's `!!binary` text of bytes that are not UTF-8: standard base64, cut into lines of 70
 * characters each ending with a line break when it is longer than one line.
 */
export function binaryText(bytes: Uint8Array): string {
  const b64 = encodeBase64(bytes);
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
