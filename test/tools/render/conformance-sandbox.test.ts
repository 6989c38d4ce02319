/**
 * The render sandbox (a worker thread with frozen built-in prototypes, files and decryption
 * over its message port) renders byte for byte what kustomize builds: a spread of the
 * conformance cases, rendered through it.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { createRenderSandbox } from '../../../functions/node/render-sandbox.ts';
import { toYaml } from '../../../lib/render/index.ts';
import { cases } from './cases.ts';
import { runCase, writeTree } from './harness.ts';

describe('rendering in the sandbox matches kustomize build', { timeout: 120_000 }, () => {
  const sandbox = createRenderSandbox();
  afterAll(() => sandbox.close());
  const sample = cases.filter((_, i) => i % 6 === 0);

  it('samples a spread of the cases', () => {
    expect(sample.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of sample) {
    it(c.name, async () => {
      const { kustomize, plumbline } = await runCase(c);
      const root = writeTree(c.files);
      try {
        const outcome = await sandbox(new DirectoryFileTree(root), c.app ?? 'app').then(
          (result) => ({ ok: true as const, text: toYaml(result.objects) }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        expect(outcome.ok).toBe(kustomize.ok);
        if (outcome.ok && kustomize.ok) expect(outcome.text).toBe(kustomize.text);
        if (!outcome.ok && !plumbline.ok) {
          expect(String(outcome.error)).toBe(String(plumbline.error));
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
