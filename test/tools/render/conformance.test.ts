import { describe, expect, it } from 'vitest';
import { cases } from './cases.ts';
import { generatedCases } from './generated-cases.ts';
import { isRenderFailure, runCase } from './harness.ts';

describe('rendering matches kustomize build', () => {
  const all = [...cases, ...generatedCases(40, 20261126)];

  it('has at least 60 hand-written cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  for (const c of all) {
    it(c.name, async () => {
      const { kustomize, plumbline } = await runCase(c);
      if (!kustomize.ok) {
        expect(
          plumbline.ok,
          `kustomize failed (${kustomize.error.trim()}) but Plumbline rendered`,
        ).toBe(false);
        if (!plumbline.ok)
          expect(isRenderFailure(plumbline.error), String(plumbline.error)).toBe(true);
        return;
      }
      if (!plumbline.ok) throw plumbline.error;
      expect(plumbline.objects).toEqual(kustomize.objects);
      expect(plumbline.text).toBe(kustomize.text);
    });
  }
});
