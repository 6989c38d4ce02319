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
      { op: 'replace', path: '/nope/deeper', value: 1 },
      { op: 'remove', path: '/nope' },
      { op: 'move', from: '/nope', path: '/x' },
      { op: 'copy', from: '/a/b/9', path: '/x' },
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

  it('reads a missing field of a mapping as null, as json-patch v4 does', () => {
    const out = applyJsonPatch(
      doc,
      [
        { op: 'replace', path: '/new', value: 1 },
        { op: 'copy', from: '/missing', path: '/copied' },
        { op: 'test', path: '/absent', value: null },
      ],
      'ops.yaml',
      'ConfigMap x',
    );
    expect(out).toMatchObject({ new: 1, copied: null });
  });

  it('indexes arrays as Go integers: negative from the end, leading zeros and plus signs', () => {
    const out = applyJsonPatch(
      { l: ['x', 'y'] },
      [
        { op: 'add', path: '/l/-1', value: 'a' },
        { op: 'replace', path: '/l/+0', value: 'b' },
        { op: 'remove', path: '/l/01' },
      ],
      'ops.yaml',
      'ConfigMap x',
    );
    expect(out).toEqual({ l: ['b', 'a'] });
  });

  it('tests mappings by their fields in any order (issue 12: not by JSON text)', () => {
    const subject = { spec: { x: 1, y: { b: [1, { c: 2, d: 3 }], a: null } } };
    const passes = (value: unknown) =>
      applyJsonPatch(subject, [{ op: 'test', path: '/spec', value }], 'ops.yaml', 'ConfigMap x');
    expect(passes({ y: { a: null, b: [1, { d: 3, c: 2 }] }, x: 1 })).toEqual(subject);
    for (const different of [
      { y: { a: null, b: [{ d: 3, c: 2 }, 1] }, x: 1 },
      { y: { a: null, b: [1, { d: 3, c: 2 }] }, x: 1, z: 0 },
      { y: { b: [1, { d: 3, c: 2 }] }, x: 1 },
      { y: { a: null, b: [1, { d: 3, c: 2 }] }, x: '1' },
    ]) {
      expect(() => passes(different)).toThrow("test of '/spec' failed");
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
