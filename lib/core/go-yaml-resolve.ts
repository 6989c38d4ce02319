/**
 * How go-yaml (v2 and v3 alike) resolves an untagged plain scalar: null, bool, int, float,
 * timestamp or string. Decoding needs it (sops hashes Go's text of each value), and so does
 * encoding: a string that would read back as something else must be quoted.
 */

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
/** YAML 1.1 booleans: v3 reads them as strings but both versions quote them. */
export const OLD_BOOLS = new Set([
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
// A Map, not an object literal: a key such as `__proto__` or `constructor` must not find
// Object.prototype's members and resolve as a float.
const INFINITIES = new Map<string, number>(
  Object.entries({
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
  }),
);
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
  const inf = INFINITIES.get(text);
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

/** Whether go-yaml's encoder may write `value` as a plain scalar (it reads back as a string). */
export function canBePlain(value: string): boolean {
  return (
    resolvePlain(value).kind === 'str' &&
    !OLD_BOOLS.has(value) &&
    !/^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(value)
  );
}
