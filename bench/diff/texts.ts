/**
 * The texts of the diff benchmark's cases, named `kind:lines`: a whole rewrite (every line
 * changed, as when a ConfigMap's data is regenerated), the same from a small alphabet (many
 * candidate matches: the algorithm's worst case), a few changes in a large object, and one past
 * the size limit (the readable fallback).
 */

/** Both sides of one case. */
export interface DiffTexts {
  before: string;
  after: string;
}

/** The texts of case `name`. */
export function diffTexts(name: string): DiffTexts {
  const [kind, size] = name.split(':') as [string, string];
  const n = Number(size);
  const lines = (f: (i: number) => string) =>
    `${Array.from({ length: n }, (_, i) => f(i)).join('\n')}\n`;
  switch (kind) {
    case 'rewrite':
      return {
        before: lines((i) => `  key${i}: value-${i}`),
        after: lines((i) => `  key${i}: other-${i}`),
      };
    case 'alphabet': {
      let seed = 11;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return (seed >>> 16) % 8;
      };
      return {
        before: lines(() => `  - item-${next()}`),
        after: lines(() => `  - item-${next()}`),
      };
    }
    case 'sparse':
      return {
        before: lines((i) => `  key${i}: value-${i}`),
        after: lines((i) => `  key${i}: ${i % 100 === 0 ? 'changed' : 'value'}-${i}`),
      };
    default:
      throw new Error(`unknown diff case ${name}`);
  }
}
