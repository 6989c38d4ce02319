import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { SourceError } from '../../../lib/errors.ts';

const outside = mkdtempSync(join(tmpdir(), 'plumbline-outside-'));
const root = mkdtempSync(join(tmpdir(), 'plumbline-tree-'));
mkdirSync(join(root, 'app/sub'), { recursive: true });
writeFileSync(join(root, 'app/a.yaml'), 'kind: ConfigMap\n');
writeFileSync(join(root, 'shared.yaml'), 'shared\n');
writeFileSync(join(outside, 'secret.txt'), 'do not read\n');
symlinkSync(join(root, 'shared.yaml'), join(root, 'app/link.yaml'));
symlinkSync(join(outside, 'secret.txt'), join(root, 'app/escape.txt'));
symlinkSync(outside, join(root, 'app/escape-dir'));

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('DirectoryFileTree', () => {
  const tree = new DirectoryFileTree(root);

  it('reads, lists and stats files inside the root', async () => {
    expect(new TextDecoder().decode(await tree.read('app/a.yaml'))).toBe('kind: ConfigMap\n');
    expect(await tree.list('app')).toEqual([
      'a.yaml',
      'escape-dir',
      'escape.txt',
      'link.yaml',
      'sub',
    ]);
    expect(await tree.stat('app/a.yaml')).toEqual({ kind: 'file', size: 16 });
    expect(await tree.stat('app/sub')).toEqual({ kind: 'dir', size: 0 });
    expect(await tree.stat('app/missing')).toBeUndefined();
  });

  it('follows symlinks that stay inside the root', async () => {
    expect(new TextDecoder().decode(await tree.read('app/link.yaml'))).toBe('shared\n');
  });

  it('refuses symlinks that lead outside the root, without reading them', async () => {
    for (const path of ['app/escape.txt', 'app/escape-dir', 'app/escape-dir/secret.txt']) {
      const error = await tree.read(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).message).toContain('leads outside the repository');
      expect((error as SourceError).message).not.toContain('do not read');
    }
    await expect(tree.stat('app/escape-dir')).rejects.toBeInstanceOf(SourceError);
  });

  it('refuses paths that climb above the root', async () => {
    await expect(tree.read('../etc/passwd')).rejects.toThrow('path leaves the repository root');
  });

  it('says what is missing', async () => {
    await expect(tree.read('app/nope.yaml')).rejects.toThrow('app/nope.yaml: no such file');
    await expect(tree.read('app/sub')).rejects.toThrow('app/sub: is a directory, not a file');
    await expect(tree.list('nope')).rejects.toThrow('nope: no such directory');
  });
});
