/**
 * A `FileTree` over a local directory, for the CLI: paths resolve inside the root, and
 * symlinks are followed with `realpath` but refused when they lead out of the root.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SourceError } from '../../lib/errors.ts';
import type { FileStat, FileTree } from '../../lib/source/file-tree.ts';
import { normalizePath } from '../../lib/source/file-tree.ts';

/** A root-confined, read-only view of a directory. */
export class DirectoryFileTree implements FileTree {
  readonly revision: string;
  readonly #root: string;
  #realRoot: Promise<string>;

  /** `root` is the directory every path is relative to. */
  constructor(root: string) {
    this.#root = resolve(root);
    this.revision = `dir:${this.#root}`;
    this.#realRoot = realpath(this.#root);
  }

  /** The real path of a repository path, refusing escapes; undefined when nothing is there. */
  async #resolve(path: string): Promise<string | undefined> {
    const rel = normalizePath(path);
    const root = await this.#realRoot;
    let real: string;
    try {
      real = await realpath(join(this.#root, rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SourceError(`${rel}: cannot be read`, { file: rel, cause: error });
    }
    const inside = relative(root, real);
    if (inside.startsWith(`..${sep}`) || inside === '..' || resolve(root, inside) !== real) {
      throw new SourceError(`${rel}: is a symlink that leads outside the repository`, {
        file: rel,
        hint: 'Symlinks must stay inside the repository.',
      });
    }
    return real;
  }

  async read(path: string): Promise<Uint8Array> {
    const real = await this.#resolve(path);
    const rel = normalizePath(path);
    if (!real) throw new SourceError(`${rel}: no such file`, { file: rel });
    const info = await stat(real);
    if (info.isDirectory())
      throw new SourceError(`${rel}: is a directory, not a file`, { file: rel });
    return new Uint8Array(await readFile(real));
  }

  async list(path: string): Promise<string[]> {
    const real = await this.#resolve(path);
    const rel = normalizePath(path);
    if (!real) throw new SourceError(`${rel || '.'}: no such directory`, { file: rel });
    return (await readdir(real)).sort();
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const real = await this.#resolve(path);
    if (!real) return undefined;
    const info = await stat(real);
    return info.isDirectory() ? { kind: 'dir', size: 0 } : { kind: 'file', size: info.size };
  }
}
