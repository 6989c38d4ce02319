import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRenderFailure } from './harness.ts';
import { helmCases } from './helm-cases.ts';
import { generatedHelmCases } from './helm-generated-cases.ts';
import { runHelmCase, testHelmSupport } from './helm-harness.ts';

describe('helmCharts render as kustomize build --enable-helm renders them', () => {
  const cache = mkdtempSync(join(tmpdir(), 'plumbline-chart-cache-'));
  const support = testHelmSupport(cache);
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('has at least 20 cases', () => {
    expect(helmCases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of [...helmCases, ...generatedHelmCases(30, 20261201)]) {
    it(c.name, async () => {
      const { kustomize, plumbline } = await runHelmCase(c, support);
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
