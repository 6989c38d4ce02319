/**
 * Go orders strings by their UTF-8 bytes (`sort.Strings`, `json.Marshal`'s map keys), which is
 * code point order. JavaScript's `<` compares UTF-16 code units, which differs as soon as a
 * character above U+FFFF (a surrogate pair) meets one from U+E000 to U+FFFF.
 */

/** Compares two strings as Go does: negative, zero or positive. */
export function compareGoStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A code unit's rank in code point order: surrogates sort after U+E000..U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
