/**
 * The order go-yaml's encoder gives the keys of a map, which is the key order of
 * `kustomize build` output: not byte order but a "natural" one, where runs of digits compare
 * as numbers (`a9` before `a10`, `2` before `10`) and a character that is not a letter sorts
 * before a letter (`a-b`, `a_b`, `a1`, then `aB`). A port of its `keyList.Less` for string keys.
 */

const letter = /^\p{L}$/u;
const digit = /^\p{Nd}$/u;

/** Go's int64 arithmetic on the digit runs, overflow included. */
function digitRun(runes: string[], from: number, start: bigint): { end: number; value: bigint } {
  let value = start;
  let end = from;
  for (; end < runes.length && digit.test(runes[end] as string); end++) {
    value = BigInt.asIntN(
      64,
      value * 10n + BigInt((runes[end] as string).codePointAt(0) as number) - 48n,
    );
  }
  return { end, value };
}

/** go-yaml's `keyList.Less` for two string keys, given as arrays of characters. */
function less(ar: string[], br: string[]): boolean {
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) {
      digits = digit.test(ac);
      continue;
    }
    const al = letter.test(ac);
    const bl = letter.test(bc);
    if (al && bl) return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
    if (al || bl) return digits ? al : bl;
    let start = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && digit.test(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          start = 1n;
          break;
        }
      }
    }
    const an = digitRun(ar, i, start);
    const bn = digitRun(br, i, start);
    if (an.value !== bn.value) return an.value < bn.value;
    if (an.end !== bn.end) return an.end < bn.end;
    return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
  }
  return ar.length < br.length;
}

/** A comparator putting map keys in go-yaml's order. */
export function compareGoYamlKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ar = [...a];
  const br = [...b];
  return less(ar, br) ? -1 : less(br, ar) ? 1 : 0;
}

/** `keys` in go-yaml's order (each key split into characters once). */
export function sortGoYamlKeys(keys: string[]): string[] {
  const runes = new Map(keys.map((key) => [key, [...key]]));
  return keys.sort((a, b) => {
    if (a === b) return 0;
    const ar = runes.get(a) as string[];
    const br = runes.get(b) as string[];
    return less(ar, br) ? -1 : less(br, ar) ? 1 : 0;
  });
}
