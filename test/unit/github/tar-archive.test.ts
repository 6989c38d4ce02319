import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../lib/errors.ts';
import { treeFromArchive } from '../../../lib/github/archive-tree.ts';
import { gunzip, readTar } from '../../../lib/github/tar-archive.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { buildTar, gzipStream, type TestEntry } from './tar-builder.ts';

const SHA = 'a'.repeat(40);
const prefix = 'acme-deploy-aaaaaaa/';

function tree(entries: TestEntry[]) {
  return treeFromArchive(readTar(buildTar(entries), 'acme/deploy@aaaaaaa'), {
    revision: SHA,
    stripComponents: 1,
    what: 'acme/deploy@aaaaaaa',
  });
}

function refusal(entries: TestEntry[]): SourceError {
  try {
    tree(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected the archive to be refused');
}

describe('tar archives', () => {
  it('reads files, directories, long pax names and skips the global header', async () => {
    const long = `${'deep/'.repeat(30)}file.yaml`;
    const result = tree([
      { path: '', type: 'pax-global', content: SHA },
      { path: prefix, type: 'directory' },
      { path: `${prefix}apps/`, type: 'directory' },
      { path: `${prefix}apps/web.yaml`, content: 'kind: Service\n' },
      { path: `${prefix}${long}`, content: 'long', pax: true },
      { path: `${prefix}empty.txt`, content: '' },
    ]);
    expect(result.revision).toBe(SHA);
    expect(result.paths()).toEqual(['apps/web.yaml', long, 'empty.txt']);
    expect(await readText(result, 'apps/web.yaml')).toBe('kind: Service\n');
    expect(await readText(result, long)).toBe('long');
    expect(await result.stat('empty.txt')).toEqual({ kind: 'file', size: 0 });
  });

  it('resolves symlinks inside the root to copies, for files and directories', async () => {
    const result = tree([
      { path: `${prefix}base/deploy.yaml`, content: 'base' },
      {
        path: `${prefix}apps/web/deploy.yaml`,
        type: 'symlink',
        linkTarget: '../../base/deploy.yaml',
      },
      { path: `${prefix}shared`, type: 'symlink', linkTarget: 'base' },
      { path: `${prefix}chain`, type: 'symlink', linkTarget: 'apps/web/deploy.yaml' },
      { path: `${prefix}dangling`, type: 'symlink', linkTarget: 'missing.yaml' },
    ]);
    expect(await readText(result, 'apps/web/deploy.yaml')).toBe('base');
    expect(await readText(result, 'shared/deploy.yaml')).toBe('base');
    expect(await readText(result, 'chain')).toBe('base');
    expect(await result.stat('dangling')).toBeUndefined();
  });

  it('refuses entries whose path climbs out of the root', () => {
    const error = refusal([{ path: `${prefix}../../etc/passwd`, content: 'x' }]);
    expect(error.message).toBe(
      `acme/deploy@aaaaaaa: entry '${prefix}../../etc/passwd' leaves the repository root`,
    );
    expect(refusal([{ path: '/etc/passwd', content: 'x' }]).message).toContain(
      'leaves the repository root',
    );
  });

  it('refuses symlinks that leave the root, relative or absolute', () => {
    const relative = refusal([
      { path: `${prefix}apps/secret.yaml`, type: 'symlink', linkTarget: '../../../etc/shadow' },
    ]);
    expect(relative.message).toBe(
      "acme/deploy@aaaaaaa: apps/secret.yaml: link to '../../../etc/shadow' leaves the repository root",
    );
    expect(relative.file).toBe('apps/secret.yaml');
    const absolute = refusal([
      { path: `${prefix}key`, type: 'symlink', linkTarget: '/root/.ssh/id_rsa' },
    ]);
    expect(absolute.message).toContain("link to '/root/.ssh/id_rsa' leaves the repository root");
  });

  it('refuses symlink loops', () => {
    expect(
      refusal([
        { path: `${prefix}a`, type: 'symlink', linkTarget: 'b' },
        { path: `${prefix}b`, type: 'symlink', linkTarget: 'a' },
      ]).message,
    ).toContain('too many levels of symbolic links');
    expect(
      refusal([{ path: `${prefix}dir/self`, type: 'symlink', linkTarget: '.' }]).message,
    ).toContain('symbolic link loop');
  });

  it('refuses entry types a repository cannot contain', () => {
    expect(() => readTar(buildTar([{ path: `${prefix}pipe`, type: 'fifo' }]))).toThrow(
      "archive: acme-deploy-aaaaaaa/pipe: unsupported tar entry type '6'",
    );
  });

  it('refuses a corrupted header and a truncated archive', () => {
    const archive = buildTar([{ path: `${prefix}a.yaml`, content: 'x'.repeat(600) }]);
    const corrupted = archive.slice();
    corrupted[10] = 0x41;
    expect(() => readTar(corrupted)).toThrow('tar header checksum mismatch at byte 0');
    expect(() => readTar(archive.slice(0, 900))).toThrow('truncated tar archive');
  });

  it('decompresses gzip streams within the size bound', async () => {
    const archive = buildTar([{ path: `${prefix}a.yaml`, content: 'hello' }]);
    const bytes = await gunzip(gzipStream(archive), 1 << 20);
    expect(bytes).toEqual(archive);
  });

  it('refuses to decompress more than the bound', async () => {
    const big = buildTar([{ path: `${prefix}zeros`, content: '\0'.repeat(200_000) }]);
    await expect(gunzip(gzipStream(big), 100_000, 'acme/deploy@aaaaaaa')).rejects.toThrow(
      'acme/deploy@aaaaaaa: larger than 100000 bytes uncompressed',
    );
  });

  it('refuses bytes that are not gzip', async () => {
    const stream = new Blob([new TextEncoder().encode('not gzip at all')]).stream();
    await expect(gunzip(stream, 1000)).rejects.toThrow('archive: not a valid gzip stream');
  });
});
