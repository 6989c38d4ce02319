/**
 * How Go (and so sops) turns typed values into text. The SOPS MAC hashes these exact bytes and
 * `sops --decrypt` prints them, so a byte of difference is a MAC mismatch or an interop diff.
 */

/** The shortest round-trip decimal digits of a finite number and the decimal point position. */
function shortestDigits(value: number): { negative: boolean; digits: string; point: number } {
  const negative = value < 0 || Object.is(value, -0);
  // toExponential() without an argument yields the shortest digits that round-trip, as Go's
  // strconv does with precision -1.
  const [mantissa = '0', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  return { negative, digits, point: Number(exponent) + 1 };
}

function special(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return undefined;
}

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: never an exponent. */
export function formatFloatF(value: number): string {
  const s = special(value);
  if (s) return s;
  const { negative, digits, point } = shortestDigits(value);
  let text: string;
  if (digits === '0') text = '0';
  else if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}

/** Go `strconv.FormatFloat(v, 'g', -1, 64)`: exponent form below 1e-4 and from 1e6 up. */
export function formatFloatG(value: number): string {
  const s = special(value);
  if (s) return s;
  const { negative, digits, point } = shortestDigits(value);
  const exp = digits === '0' ? 0 : point - 1;
  // With the shortest precision Go decides with an exponent threshold of 6 (strconv/ftoa.go).
  if (exp < -4 || exp >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = Math.abs(exp);
    const text = `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
    return negative ? `-${text}` : text;
  }
  return formatFloatF(value);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `strconv.Atoi` then `Itoa`: the canonical decimal of a 64-bit integer, or undefined. */
export function canonicalInt(text: string): string | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) return undefined;
  return n.toString();
}

/** Go `strconv.ParseFloat(text, 64)` for the decimal forms sops writes; undefined when invalid. */
export function parseGoFloat(text: string): number | undefined {
  const t = text.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) {
    if (/^[+-]?0[xX]/.test(t)) {
      const n = Number(t.replace(/^([+-]?)0[xX]/, '$10x').replace(/^\+/, ''));
      return Number.isNaN(n) ? undefined : n;
    }
    return undefined;
  }
  return Number(t);
}

/** Go `strconv.ParseBool`; undefined when the text is not a boolean. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Go's `True`/`False`, the way sops feeds booleans to the MAC. */
export function macBool(value: boolean): string {
  return value ? 'True' : 'False';
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go `time.Time` `UnmarshalText` then `MarshalText` (RFC 3339 with nanoseconds); undefined when invalid. */
export function canonicalTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, date, clock, fraction = '', zone = 'Z'] = m;
  const nanos = fraction.slice(1, 10).replace(/0+$/, '');
  const offset = zone.toUpperCase() === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${date}T${clock}${nanos ? `.${nanos}` : ''}${offset}`;
}

/** Go `time.Format(time.RFC3339)` of an RFC 3339 text: fractional seconds dropped, zero offset as Z. */
export function formatRfc3339(text: string): string | undefined {
  const canonical = canonicalTime(text);
  return canonical?.replace(/\.\d+(?=Z|[+-])/, '');
}

/** The length of the valid UTF-8 sequence at `i` (Go's rules: no surrogates, no overlongs), or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A Go string's characters as `for range` yields them: each valid UTF-8 sequence is one
 * character, each byte of an invalid one is `undefined` (Go's `utf8.RuneError` of width 1).
 */
export function goRunes(bytes: Uint8Array): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for (let i = 0; i < bytes.length; ) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      out.push(undefined);
      i++;
      continue;
    }
    out.push(
      n === 1 ? String.fromCharCode(bytes[i] as number) : decoder.decode(bytes.subarray(i, i + n)),
    );
    i += n;
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes` when they are valid UTF-8 (Go's `utf8.Valid`), else `undefined`. */
export function validUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
