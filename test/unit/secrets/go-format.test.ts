import { describe, expect, it } from 'vitest';
import {
  canonicalInt,
  canonicalTime,
  formatFloatF,
  formatFloatG,
  formatRfc3339,
} from '../../../lib/secrets/go-format.ts';
import { plainMacText, renderYamlScalar } from '../../../lib/secrets/yaml-scalar.ts';

describe('Go value formatting', () => {
  it('formats floats like strconv with the f verb', () => {
    expect([3.25, 1, 1e21, 1e-7, -0, 100000000000000000000].map(formatFloatF)).toEqual([
      '3.25',
      '1',
      '1000000000000000000000',
      '0.0000001',
      '-0',
      '100000000000000000000',
    ]);
    expect([Infinity, -Infinity, Number.NaN].map(formatFloatF)).toEqual(['+Inf', '-Inf', 'NaN']);
  });

  it('formats floats like strconv with the g verb', () => {
    expect([1e7, 123456, 1234567, 0.0001, 0.00001, 1, 3.25].map(formatFloatG)).toEqual([
      '1e+07',
      '123456',
      '1.234567e+06',
      '0.0001',
      '1e-05',
      '1',
      '3.25',
    ]);
  });

  it('canonicalizes ints and times as Go re-marshals them', () => {
    expect(canonicalInt('+007')).toBe('7');
    expect(canonicalInt('9223372036854775808')).toBeUndefined();
    expect(canonicalTime('2024-01-02T03:04:05.500+00:00')).toBe('2024-01-02T03:04:05.5Z');
    expect(formatRfc3339('2024-01-02T03:04:05.5+02:00')).toBe('2024-01-02T03:04:05+02:00');
  });
});

describe('go-yaml v3 scalars', () => {
  it('hashes plain scalars as the Go values go-yaml decodes them into', () => {
    expect(plainMacText('0x1F')).toBe('31');
    expect(plainMacText('1_000')).toBe('1000');
    expect(plainMacText('1e3')).toBe('1000');
    expect(plainMacText('True')).toBe('True');
    expect(plainMacText('yes')).toBe('yes');
    expect(plainMacText('2024-01-02')).toBe('2024-01-02T00:00:00Z');
    expect(plainMacText('~')).toBeUndefined();
  });

  const bytes = (value: string) => new TextEncoder().encode(value);
  const at = (indent: number) => ({ column: 6, indent, bestIndent: 4 });

  it('writes strings in the style go-yaml v3 picks', () => {
    const str = (value: string) =>
      renderYamlScalar({ type: 'str', bytes: bytes(value) }, at(4)).inline;
    expect(str('hunter2')).toBe('hunter2');
    expect(str('123')).toBe('"123"');
    expect(str('yes')).toBe('"yes"');
    expect(str('a: b')).toBe("'a: b'");
    expect(str(' lead')).toBe("' lead'");
    expect(str('a\tb')).toBe('"a\\tb"');
    expect(str('😀')).toBe('"\\U0001F600"');
    expect(str('')).toBe('""');
    expect(str('2024-01-02')).toBe('"2024-01-02"');
    expect(renderYamlScalar({ type: 'str', bytes: bytes('a\n  b') }, at(8))).toEqual({
      inline: '|-',
      block: ['        a', '          b'],
    });
    expect(renderYamlScalar({ type: 'str', bytes: bytes(' x\n') }, at(2)).inline).toBe('|4');
  });

  it('writes bytes that are not UTF-8 as go-yaml does: !!binary base64, in lines of 70', () => {
    const short = renderYamlScalar({ type: 'str', bytes: new Uint8Array([0xff, 0x00]) }, at(4));
    expect(short).toEqual({ inline: '!!binary /wA=' });
    const long = renderYamlScalar({ type: 'str', bytes: new Uint8Array(60).fill(0xff) }, at(4));
    expect(long.inline).toBe('!!binary |');
    expect(long.block).toEqual([`    ${'/'.repeat(70)}`, `    ${'/'.repeat(10)}`]);
  });

  it('never folds long strings (go-yaml v3 encodes with an unlimited width)', () => {
    const value = Array.from({ length: 40 }, () => 'word').join(' ');
    expect(renderYamlScalar({ type: 'str', bytes: bytes(value) }, at(4)).inline).toBe(value);
  });
});
