/**
 * A line-based unified diff, the format `diff -u` and `kubectl diff` print: `@@ -a,b +c,d @@`
 * hunks with three lines of context.
 *
 * The edit script is Myers' O(ND) algorithm in its linear-space form (the "middle snake",
 * divide and conquer), so memory stays linear in the input whatever the number of changes: a
 * 5,000-line rewrite costs a few megabytes, where keeping each step's frontier cost 765 MiB.
 * Before searching, lines are numbered (equal lines, equal numbers), the common head and tail
 * are set aside, and lines found on one side only are taken out: they cannot match, and a
 * rewrite (every line new) then needs no search at all. A search that would take more than
 * `maxDiffWork` steps, or texts of more than `maxDiffLines` lines, give a diff that says how
 * large it is instead of spending seconds on a page nobody reads.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Lines (both texts together) beyond which the diff is summarized: its size alone is the news. */
export const maxDiffLines = 200_000;

/**
 * Search steps (diagonals visited, D² in the worst case for D edits among lines that could
 * all match) beyond which the diff is summarized: about a second on one core. A rewrite of new
 * lines needs none; 5,000 changes among 10,000 lines of an 8-line alphabet need 12 million.
 */
export const maxDiffWork = 40_000_000;

/** What a diff computation allocated and did: for the regression check of its bounds. */
export interface DiffStats {
  /** Integer cells of the search's two frontier arrays. */
  frontierCells: number;
  /** Middle-snake searches run. */
  searches: number;
  /** Diagonals visited, over all searches. */
  work: number;
}

/**
 * Marks, in `removed` and `added`, the lines of `a[aLo..aHi)` and `b[bLo..bHi)` outside one
 * longest common subsequence. `fv` and `bv` are the forward and backward frontiers, shared by
 * every range (one range is searched at a time).
 */
function compare(
  a: Int32Array,
  b: Int32Array,
  removed: Uint8Array,
  added: Uint8Array,
  fv: Int32Array,
  bv: Int32Array,
  stats: DiffStats,
  budget: number,
): boolean {
  // Ranges still to compare, as a stack, so a deep split never exhausts the call stack.
  const stack: number[] = [0, a.length, 0, b.length];
  while (stack.length > 0) {
    let bHi = stack.pop() as number;
    let bLo = stack.pop() as number;
    let aHi = stack.pop() as number;
    let aLo = stack.pop() as number;
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) {
      aLo++;
      bLo++;
    }
    while (aLo < aHi && bLo < bHi && a[aHi - 1] === b[bHi - 1]) {
      aHi--;
      bHi--;
    }
    if (aLo === aHi || bLo === bHi) {
      removed.fill(1, aLo, aHi);
      added.fill(1, bLo, bHi);
      continue;
    }
    const split = middleSnake(a, aLo, aHi, b, bLo, bHi, fv, bv, budget - stats.work);
    stats.searches++;
    stats.work += split.work;
    if (!split.at) return false;
    const [x, y] = split.at;
    if ((x === aLo && y === bLo) || (x === aHi && y === bHi)) {
      // Cannot happen with the head and tail trimmed; marking all keeps the diff correct.
      removed.fill(1, aLo, aHi);
      added.fill(1, bLo, bHi);
      continue;
    }
    stack.push(x, aHi, y, bHi, aLo, x, bLo, y);
  }
  return true;
}

/**
 * A point `[x, y]` on a shortest edit path of `a[aLo..aHi)` to `b[bLo..bHi)` (both non-empty,
 * differing in their first and last lines), found by searching from both ends at once until
 * the two frontiers meet (Myers 1986, section 4b). Frontiers are indexed by diagonal k = x - y
 * (relative to the range), offset so that every diagonal either search reaches, from -m - D - 1
 * to n + D + 1 with D = ceil((n+m)/2), falls inside arrays of 2(n+m)+4 cells.
 */
function middleSnake(
  a: Int32Array,
  aLo: number,
  aHi: number,
  b: Int32Array,
  bLo: number,
  bHi: number,
  fv: Int32Array,
  bv: Int32Array,
  budget: number,
): { at?: [number, number]; work: number } {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const delta = n - m;
  const odd = (delta & 1) !== 0;
  const limit = Math.ceil((n + m) / 2);
  const offset = m + limit + 1;
  fv[offset + 1] = 0;
  bv[offset + delta - 1] = n;
  let work = 0;
  for (let d = 0; d <= limit; d++) {
    work += 2 * d + 2;
    if (work > budget) return { work };
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (fv[offset + k - 1] as number) < (fv[offset + k + 1] as number))
          ? (fv[offset + k + 1] as number)
          : (fv[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[aLo + x] === b[bLo + y]) {
        x++;
        y++;
      }
      fv[offset + k] = x;
      if (odd && k >= delta - (d - 1) && k <= delta + (d - 1) && (bv[offset + k] as number) <= x) {
        return { at: [aLo + x, bLo + y], work };
      }
    }
    for (let k = delta - d; k <= delta + d; k += 2) {
      let x =
        k === delta + d ||
        (k !== delta - d && (bv[offset + k - 1] as number) < (bv[offset + k + 1] as number) - 1)
          ? (bv[offset + k - 1] as number)
          : (bv[offset + k + 1] as number) - 1;
      let y = x - k;
      while (x > 0 && y > 0 && a[aLo + x - 1] === b[bLo + y - 1]) {
        x--;
        y--;
      }
      bv[offset + k] = x;
      if (!odd && k >= -d && k <= d && x <= (fv[offset + k] as number)) {
        return { at: [aLo + x, bLo + y], work };
      }
    }
  }
  // Unreachable: the frontiers meet by d = ceil((n+m)/2).
  return { at: [aLo, bLo], work };
}

/**
 * The shortest edit script turning `a` into `b`, as kept, removed and added lines; `undefined`
 * when finding it would take more than `budget` search steps.
 */
export function editScript(
  a: readonly string[],
  b: readonly string[],
  stats: DiffStats = { frontierCells: 0, searches: 0, work: 0 },
  budget = maxDiffWork,
): Op[] | undefined {
  const ids = new Map<string, number>();
  const number = (line: string) => {
    let id = ids.get(line);
    if (id === undefined) {
      id = ids.size;
      ids.set(line, id);
    }
    return id;
  };
  const aIds = Int32Array.from(a, number);
  const bIds = Int32Array.from(b, number);
  const inA = new Uint8Array(ids.size);
  const inB = new Uint8Array(ids.size);
  for (const id of aIds) inA[id] = 1;
  for (const id of bIds) inB[id] = 1;
  const removed = new Uint8Array(a.length);
  const added = new Uint8Array(b.length);
  // Lines on one side only are changes whatever the rest; the search runs on the others.
  const aKept: number[] = [];
  const bKept: number[] = [];
  for (let i = 0; i < aIds.length; i++) {
    if (inB[aIds[i] as number]) aKept.push(i);
    else removed[i] = 1;
  }
  for (let j = 0; j < bIds.length; j++) {
    if (inA[bIds[j] as number]) bKept.push(j);
    else added[j] = 1;
  }
  if (aKept.length > 0 && bKept.length > 0) {
    const subA = Int32Array.from(aKept, (i) => aIds[i] as number);
    const subB = Int32Array.from(bKept, (j) => bIds[j] as number);
    const size = 2 * (subA.length + subB.length) + 4;
    const fv = new Int32Array(size);
    const bv = new Int32Array(size);
    stats.frontierCells += 2 * size;
    const subRemoved = new Uint8Array(subA.length);
    const subAdded = new Uint8Array(subB.length);
    if (!compare(subA, subB, subRemoved, subAdded, fv, bv, stats, budget)) return undefined;
    for (let i = 0; i < subRemoved.length; i++) if (subRemoved[i]) removed[aKept[i] as number] = 1;
    for (let j = 0; j < subAdded.length; j++) if (subAdded[j]) added[bKept[j] as number] = 1;
  } else {
    removed.fill(1);
    added.fill(1);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && removed[i]) ops.push({ kind: '-', line: a[i++] as string });
    else if (j < b.length && added[j]) ops.push({ kind: '+', line: b[j++] as string });
    else {
      ops.push({ kind: ' ', line: a[i++] as string });
      j++;
    }
  }
  return ops;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The summary of a diff too large to show: how many lines each side has that the other lacks. */
function tooLarge(a: readonly string[], b: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of a) counts.set(line, (counts.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of b) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else added++;
  }
  let removed = 0;
  for (const left of counts.values()) removed += left;
  return `# diff too large to show: at least ${removed + added} lines changed (${removed} removed, ${added} added; ${a.length} lines before, ${b.length} after)`;
}

/**
 * The unified diff of two texts with `---`/`+++` headers naming them; `''` when they are equal.
 */
export function unifiedDiff(
  before: string,
  after: string,
  names: { before: string; after: string },
  context = 3,
): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const out = [`--- ${names.before}`, `+++ ${names.after}`];
  const ops = a.length + b.length > maxDiffLines ? undefined : editScript(a, b);
  if (!ops) {
    out.push(tooLarge(a, b));
    return `${out.join('\n')}\n`;
  }
  // Positions (1-based) of each op in the old and new texts.
  const oldAt = new Int32Array(ops.length);
  const newAt = new Int32Array(ops.length);
  let o = 1;
  let nn = 1;
  for (const [index, op] of ops.entries()) {
    oldAt[index] = o;
    newAt[index] = nn;
    if (op.kind !== '+') o++;
    if (op.kind !== '-') nn++;
  }
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    let last = i;
    while (end < ops.length) {
      if (ops[end]?.kind !== ' ') last = end;
      else if (end - last > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, last + context + 1);
    let oldCount = 0;
    let newCount = 0;
    for (let h = start; h < end; h++) {
      if (ops[h]?.kind !== '+') oldCount++;
      if (ops[h]?.kind !== '-') newCount++;
    }
    const oldStart = oldCount === 0 ? (oldAt[start] ?? 1) - 1 : (oldAt[start] ?? 1);
    const newStart = newCount === 0 ? (newAt[start] ?? 1) - 1 : (newAt[start] ?? 1);
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (let h = start; h < end; h++) out.push(`${ops[h]?.kind}${ops[h]?.line}`);
    i = end;
  }
  return `${out.join('\n')}\n`;
}
