import { describe, expect, it } from 'vitest';
import { canBePlain } from '../../../lib/core/go-yaml-resolve.ts';
import {
  analyzeScalar,
  type GoYamlMajor,
  GoYamlWriter,
  selectScalarStyle,
} from '../../../lib/core/go-yaml-scalar.ts';

/** A value written by go-yaml `major` as a mapping value at column 6, indentation 4. */
function write(value: string, major: GoYamlMajor): string {
  const requested = value.includes('\n') ? 'literal' : canBePlain(value) ? 'plain' : 'double';
  const style = selectScalarStyle(value, requested, analyzeScalar(value, major), {
    flow: false,
    simpleKey: false,
  });
  const writer = new GoYamlWriter({ major, bestIndent: 4 });
  writer.indent = 4;
  writer.column = 6;
  writer.indention = false;
  writer.writeScalar(value, style, true);
  return writer.text();
}

describe('the go-yaml scalar writer', () => {
  it('escapes what libyaml does not print: NEL, BOM and characters beyond U+FFFF', () => {
    for (const major of [2, 3] as const) {
      expect(write('a\u{1f600}b', major)).toBe('"a\\U0001F600b"');
      expect(write('a\u0085b', major)).toBe('"a\\Nb"');
      expect(write('\ufeffx', major)).toBe('"\\uFEFF\\x78"');
      expect(write('naïve 日本', major)).toBe('naïve 日本');
    }
  });

  it('keeps tabs out of v3 plain scalars but allows them in v3 block scalars', () => {
    expect(write('a\tb', 2)).toBe('"a\\tb"');
    expect(write('a\tb', 3)).toBe('"a\\tb"');
    expect(write('a\tb\nc\n', 3)).toBe('|\n    a\tb\n    c\n');
    expect(write('a\tb\nc\n', 2)).toBe('"a\\tb\\nc\\n"');
  });

  it('folds long lines at 80 columns in v2 and never in v3', () => {
    const long = Array.from({ length: 30 }, () => 'word').join(' ');
    expect(write(long, 3)).toBe(long);
    const folded = write(long, 2).split('\n');
    expect(folded.length).toBe(2);
    expect(folded[1]?.startsWith('    word')).toBe(true);
  });

  it('quotes strings that would read back as another type, and only those', () => {
    expect(['123', 'yes', 'null', '', '1e3', '12:30', '2024-01-02'].map(canBePlain)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['<<', '1e400', '2023-02-30', 'hunter2', '0x'].map(canBePlain)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe('plain-scalar resolution', () => {
  it('writes keys named like JavaScript internals plain, as go-yaml does', () => {
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
      expect(canBePlain(name)).toBe(true);
      expect(write(name, 3)).toBe(name);
    }
  });
});
