import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('ends quietly when its reader closes the pipe early (| head)', () => {
    const root = mkdtempSync(join(tmpdir(), 'plumbline-epipe-'));
    try {
      // Enough output to outgrow the pipe's buffer after the reader has gone.
      const objects = Array.from(
        { length: 3000 },
        (_, i) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  k: v${i}\n`,
      ).join('---\n');
      writeFileSync(join(root, 'objects.yaml'), objects);
      const result = spawnSync(
        '/bin/sh',
        ['-c', `"$0" "$1" render --root "$2" "$2" | head -n 1`, process.execPath, cli, root],
        { encoding: 'utf8' },
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('apiVersion: v1\n');
      expect(result.stderr).toBe('');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
