import { describe, expect, it } from 'vitest';
import { RenderError } from '../../../lib/errors.ts';
import { applyJsonPatch, toJsonPatchOps } from '../../../lib/render/json-patch.ts';

const doc = { a: { b: [1, 2, 3], 'x/y': 'slash', 't~': 'tilde' }, c: 'c' };

describe('applyJsonPatch', () => {
  it('applies add, remove, replace, move, copy and test in order without touching the input', () => {
    const out = applyJsonPatch(
      doc,
      [
        { op: 'add', path: '/a/b/-', value: 4 },
        { op: 'add', path: '/a/b/0', value: 0 },
        { op: 'remove', path: '/a/b/1' },
        { op: 'replace', path: '/c', value: 'C' },
        { op: 'copy', from: '/a/x~1y', path: '/d' },
        { op: 'move', from: '/a/t~0', path: '/e' },
        { op: 'test', path: '/c', value: 'C' },
      ],
      'ops.yaml',
      'ConfigMap x',
    );
    expect(out).toEqual({ a: { b: [0, 2, 3, 4], 'x/y': 'slash' }, c: 'C', d: 'slash', e: 'tilde' });
    expect(doc.a.b).toEqual([1, 2, 3]);
  });

  it('fails on a missing path, a failed test and an unknown op, naming the file and object', () => {
    const cases = [
      { op: 'replace', path: '/nope', value: 1 },
      { op: 'remove', path: '/a/b/9' },
      { op: 'add', path: '/x/y', value: 1 },
      { op: 'test', path: '/c', value: 'other' },
      { op: 'frobnicate', path: '/c' },
    ];
    for (const op of cases) {
      const error = (() => {
        try {
          applyJsonPatch(doc, [op], 'ops.yaml', 'ConfigMap x');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).message).toMatch(
        /^ops\.yaml: JSON patch operation 0 .* on ConfigMap x: /,
      );
      expect((error as RenderError).file).toBe('ops.yaml');
    }
  });

  it('validates operations before applying them', () => {
    expect(() => toJsonPatchOps({ op: 'add' }, 'p.json')).toThrow(
      'p.json: a JSON patch must be a list of operations',
    );
    expect(() => toJsonPatchOps([{ op: 'add', path: '/a' }], 'p.json')).toThrow("needs a 'value'");
    expect(() => toJsonPatchOps([{ op: 'move', path: '/a' }], 'p.json')).toThrow("needs 'from'");
  });
});
