import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import { normalizeObject } from '../../../lib/desired/normalize.ts';
import { objectDiff } from '../../../lib/plan/plan.ts';
import {
  type DiffStats,
  editScript,
  maxDiffLines,
  unifiedDiff,
} from '../../../lib/plan/unified-diff.ts';
import { maskPair } from '../../../lib/secrets/mask.ts';

const live = parse(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 5d7c
  resourceVersion: "812"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations:
    deployment.kubernetes.io/revision: "3"
  managedFields:
  - manager: plumbline
    operation: Apply
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
status:
  availableReplicas: 2
`) as KubeObject;

describe('normalizeObject', () => {
  it('drops server-set noise and keeps what a manifest sets', () => {
    expect(normalizeObject(live)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 2,
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
  });
});

describe('unifiedDiff', () => {
  it('prints hunks with three lines of context like diff -u', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i', 'j', 'k'].join('\n');
    expect(unifiedDiff(before, after, { before: 'old', after: 'new' })).toBe(
      [
        '--- old',
        '+++ new',
        '@@ -2,9 +2,10 @@',
        ' b',
        ' c',
        ' d',
        '-e',
        '+E',
        ' f',
        ' g',
        ' h',
        ' i',
        ' j',
        '+k',
        '',
      ].join('\n'),
    );
  });

  it('splits distant changes into separate hunks', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const changed = [...lines];
    changed[2] = 'changed 2';
    changed[25] = 'changed 25';
    const diff = unifiedDiff(lines.join('\n'), changed.join('\n'), { before: 'a', after: 'b' });
    expect(diff.match(/^@@ /gm)).toHaveLength(2);
    expect(diff).toContain('@@ -1,6 +1,6 @@');
    expect(diff).toContain('@@ -23,7 +23,7 @@');
  });

  it('turns one text into the other exactly, for many random pairs', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const text = () =>
      Array.from({ length: Math.floor(random() * 30) }, () => `l${Math.floor(random() * 6)}`);
    for (let round = 0; round < 300; round++) {
      const before = text();
      const after = text();
      const diff = unifiedDiff(
        before.join('\n'),
        after.join('\n'),
        { before: 'a', after: 'b' },
        1e9,
      );
      const body = diff.split('\n').slice(3, -1);
      if (before.join('\n') === after.join('\n')) {
        expect(diff).toBe('');
        continue;
      }
      expect(body.filter((l) => !l.startsWith('+')).map((l) => l.slice(1))).toEqual(before);
      expect(body.filter((l) => !l.startsWith('-')).map((l) => l.slice(1))).toEqual(after);
    }
  });

  it('is empty for equal texts and whole-file for creations', () => {
    expect(unifiedDiff('a\n', 'a\n', { before: 'x', after: 'y' })).toBe('');
    expect(unifiedDiff('', 'a\nb\n', { before: 'x', after: 'y' })).toBe(
      '--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });
});

/** The length of a longest common subsequence, by the textbook quadratic table. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const next = [0];
    for (const [j, y] of b.entries())
      next.push(x === y ? (row[j] ?? 0) + 1 : Math.max(row[j + 1] ?? 0, next[j] ?? 0));
    row = next;
  }
  return row[b.length] ?? 0;
}

describe('editScript', () => {
  it('is a shortest edit script: it keeps a longest common subsequence (property)', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 60 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = editScript(a, b) ?? [];
        expect(ops.filter((op) => op.kind !== '+').map((op) => op.line)).toEqual(a);
        expect(ops.filter((op) => op.kind !== '-').map((op) => op.line)).toEqual(b);
        expect(ops.filter((op) => op.kind === ' ').length).toBe(lcsLength(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it('allocates memory linear in the input, however many lines change', () => {
    // 5,000 lines each side from a small alphabet: thousands of edits, every line a candidate.
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return `item-${(seed >>> 16) % 8}`;
    };
    const a = Array.from({ length: 5_000 }, next);
    const b = Array.from({ length: 5_000 }, next);
    const stats: DiffStats = { frontierCells: 0, searches: 0, work: 0 };
    const ops = editScript(a, b, stats) ?? [];
    const edits = ops.filter((op) => op.kind !== ' ').length;
    expect(edits).toBeGreaterThan(4_000);
    // Two frontiers of 2(n+m)+4 cells, allocated once (a frontier per step would be D times that).
    expect(stats.frontierCells).toBe(2 * (2 * (a.length + b.length) + 4));
    expect(stats.searches).toBeLessThanOrEqual(edits);
    // Work stays near D²/2 over all the divide and conquer (12.1 million here).
    expect(stats.work).toBeLessThan(edits ** 2);
    expect(ops.length).toBe(a.length + b.length - ops.filter((op) => op.kind === ' ').length);
  });

  it('needs no search for a rewrite: lines on one side only cannot match', () => {
    const a = Array.from({ length: 5_000 }, (_, i) => `  key${i}: value-${i}`);
    const b = Array.from({ length: 5_000 }, (_, i) => `  key${i}: other-${i}`);
    const stats: DiffStats = { frontierCells: 0, searches: 0, work: 0 };
    const ops = editScript(a, b, stats) ?? [];
    expect(stats).toEqual({ frontierCells: 0, searches: 0, work: 0 });
    expect(ops.filter((op) => op.kind === '-')).toHaveLength(5_000);
  });

  it('gives up past its work budget instead of searching for seconds', () => {
    const a = Array.from({ length: 400 }, (_, i) => `l${i % 5}`);
    const b = Array.from({ length: 400 }, (_, i) => `l${(i * 3) % 5}`);
    const stats: DiffStats = { frontierCells: 0, searches: 0, work: 0 };
    expect(editScript(a, b, stats, 1_000)).toBeUndefined();
    expect(stats.work).toBeLessThanOrEqual(1_000 + 2 * 800);
    expect(editScript(a, b)).toBeDefined();
  });
});

describe('a diff too large to show', () => {
  it('says how large it is instead', () => {
    const n = maxDiffLines / 2;
    const a = Array.from({ length: n }, (_, i) => `l${i % 50}`).join('\n');
    const b = Array.from({ length: n }, (_, i) => `l${(i * 7) % 50}`).join('\n');
    const diff = unifiedDiff(a, `${b}\nextra`, { before: 'live/x', after: 'merged/x' });
    expect(diff).toBe(
      `--- live/x\n+++ merged/x\n# diff too large to show: at least 1 lines changed (0 removed, 1 added; ${n} lines before, ${n + 1} after)\n`,
    );
  });
});

describe('objectDiff', () => {
  it('shows a replica change as kubectl diff would', () => {
    const planned = structuredClone(live);
    (planned.spec as { replicas: number }).replicas = 3;
    const diff = objectDiff(
      { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' },
      live,
      planned,
      {},
    );
    expect(diff).toContain('--- live/Deployment.apps.shop.web');
    expect(diff).toContain('-  replicas: 2\n+  replicas: 3');
    expect(diff).not.toContain('managedFields');
    expect(diff).not.toContain('resourceVersion');
  });

  it('masks Secret data but shows that a value changed', () => {
    const before = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' },
    };
    const after = {
      ...before,
      data: { password: 'czNjcjN0', user: 'YWRtaW4=' },
      stringData: { token: 'plain-token' },
    };
    const diff = objectDiff(
      { group: '', kind: 'Secret', namespace: 'shop', name: 'db' },
      before,
      after,
      {},
    );
    expect(diff).toContain('-  password: "***"');
    expect(diff).toContain('+  password: "*** (changed)"');
    expect(diff).toContain('   user: "***"');
    expect(diff).toContain('+  token: "***"');
    for (const secret of ['aHVudGVyMg', 'czNjcjN0', 'YWRtaW4', 'plain-token'])
      expect(diff).not.toContain(secret);
  });

  it('masks every value of an object marked sensitive', () => {
    const after = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'conf', namespace: 'shop' },
      data: { dsn: 'postgres://u:p@db' },
    };
    const masked = maskPair(undefined, after, { sensitive: true });
    expect(JSON.stringify(masked.after)).not.toContain('postgres');
    expect(masked.after?.metadata.name).toBe('conf');
  });
});
