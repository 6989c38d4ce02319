import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { binary } from '../../env/paths.ts';
import { cases } from './cases.ts';
import { writeTree } from './harness.ts';

const cli = fileURLToPath(new URL('../../../functions/cli.ts', import.meta.url));

describe('plumbline render (the process)', () => {
  it('prints the same bytes as kustomize build and fails where it fails', () => {
    const sample = cases.filter((_, i) => i % 8 === 0);
    for (const c of sample) {
      const root = writeTree(c.files);
      try {
        const dir = join(root, c.app ?? 'app');
        const kustomize = spawnSync(binary('kustomize'), ['build', dir], { encoding: 'utf8' });
        const plumbline = spawnSync(process.execPath, [cli, 'render', '--root', root, dir], {
          encoding: 'utf8',
        });
        expect(plumbline.status === 0, `${c.name}: ${plumbline.stderr}`).toBe(
          kustomize.status === 0,
        );
        if (kustomize.status === 0) expect(plumbline.stdout, c.name).toBe(kustomize.stdout);
        else expect(plumbline.stderr, c.name).not.toBe('');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });
});
