/**
 * Selector patterns without regexp syntax are matched as whole strings, and image names whose
 * only syntax is `.` by a JavaScript pattern, without compiling RE2:
 * the shortcut must select exactly what the anchored RE2 pattern selects, for every character.
 */
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { RenderError } from '../../../lib/errors.ts';
import { selectorPattern } from '../../../lib/render/go-regexp.ts';
import { imageMatcher } from '../../../lib/render/transformers.ts';

const syntax = new Set('\\.+*?()|[]{}^$');
/** Any string of any code points, regexp syntax removed: a literal pattern. */
const literal = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((s) => [...s].filter((c) => !syntax.has(c)).join(''))
  .filter((s) => s !== '');

function anchored(pattern: string): (text: string) => boolean {
  const re = RE2JS.compile(`^(?:${pattern})$`);
  return (text) => re.test(text);
}

describe('selectorPattern', () => {
  it('matches a literal pattern exactly as the anchored RE2 pattern does', () => {
    fc.assert(
      fc.property(
        literal,
        fc.array(fc.string({ unit: 'grapheme', maxLength: 14 }), { maxLength: 6 }),
        (pattern, others) => {
          const matcher = selectorPattern(pattern, 'k.yaml', 'patches[0].target.name');
          if (!matcher) throw new Error('a non-empty pattern gave no matcher');
          const re2 = anchored(pattern);
          const texts = [
            pattern,
            `${pattern}\n`,
            `\n${pattern}`,
            ` ${pattern}`,
            pattern.toUpperCase(),
            pattern.slice(1),
            `${pattern}${pattern}`,
            ...others,
          ];
          for (const text of texts)
            expect(matcher(text), JSON.stringify([pattern, text])).toBe(re2(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('still runs patterns with syntax through RE2, and refuses what RE2 refuses', () => {
    const alternation = selectorPattern('web|cfg', 'k.yaml', 'name');
    expect(alternation?.('cfg')).toBe(true);
    expect(alternation?.('web|cfg')).toBe(false);
    const dot = selectorPattern('a.b', 'k.yaml', 'name');
    expect(dot?.('axb')).toBe(true);
    expect(() => selectorPattern('(a', 'k.yaml', 'patches[0].target.name')).toThrow(RenderError);
    expect(() => selectorPattern('(a', 'k.yaml', 'patches[0].target.name')).toThrow(
      /k\.yaml: patches\[0\]\.target\.name '\(a' is not a valid regular expression/,
    );
    expect(selectorPattern('', 'k.yaml', 'name')).toBeUndefined();
  });
});

describe('imageMatcher', () => {
  const nameChar = fc.constantFrom(...'ab9./:-_@\nxé'.split(''), '\u{1F600}');
  const tagChar = fc.constantFrom(...'ab9._{}-+:@\n'.split(''));
  it('matches names whose only syntax is `.` exactly as kustomize’s RE2 pattern does', () => {
    fc.assert(
      fc.property(
        fc.array(nameChar, { minLength: 1, maxLength: 10 }).map((c) => c.join('')),
        fc.array(
          fc.array(tagChar, { maxLength: 10 }).map((c) => c.join('')),
          { maxLength: 5 },
        ),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 3 }),
        (name, tails, others) => {
          const re2 = RE2JS.compile(
            `^${name}(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`,
          );
          const matcher = imageMatcher(name);
          const swapped = name.replaceAll('.', 'x');
          const newline = name.replaceAll('.', '\n');
          const texts = [
            ...tails.flatMap((tail) => [`${name}${tail}`, `${swapped}${tail}`, `${name}:${tail}`]),
            `${name}@sha256:abc`,
            `${swapped}@sha256:abc`,
            `${newline}:v1`,
            `${name.replaceAll('.', '\u{1F600}')}:v1`,
            `${name.replaceAll('.', '\r')}:v1`,
            `${name.replaceAll('.', '\u2028')}`,
            ...others,
          ];
          for (const text of texts)
            expect(matcher(text), JSON.stringify([name, text])).toBe(re2.test(text));
        },
      ),
      { numRuns: 500 },
    );
  });
});
