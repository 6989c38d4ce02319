/**
 * The prototype-pollution corpus against the real kustomize: where kustomize builds a payload,
 * Plumbline's output is byte-identical (so `__proto__`, `constructor` and `prototype` are data
 * exactly as kustomize treats them); where kustomize refuses it, Plumbline refuses it with a
 * `RenderError` naming the file. No payload changes a built-in prototype.
 */
import { describe, expect, it } from 'vitest';
import { isRenderFailure, runCase } from '../../tools/render/harness.ts';
import { prototypeChanges, snapshotPrototypes } from '../prototype-state.ts';
import { pollutionPayloads } from '../render-pollution-corpus.ts';

describe('prototype-pollution payloads render as kustomize renders them', () => {
  for (const payload of pollutionPayloads) {
    it(payload.name, async () => {
      const before = snapshotPrototypes();
      const { kustomize, plumbline } = await runCase({ name: payload.name, files: payload.files });
      expect(prototypeChanges(before)).toEqual([]);
      expect(kustomize.ok ? 'renders' : 'refused', "the corpus states kustomize's verdict").toBe(
        payload.outcome,
      );
      if (!kustomize.ok) {
        expect(plumbline.ok, `kustomize refused (${kustomize.error.trim()})`).toBe(false);
        if (!plumbline.ok)
          expect(isRenderFailure(plumbline.error), String(plumbline.error)).toBe(true);
        return;
      }
      if (!plumbline.ok) throw plumbline.error;
      expect(plumbline.text).toBe(kustomize.text);
    });
  }
});
