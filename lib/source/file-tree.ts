/**
 * `FileTree`: a read-only, root-confined view of a repository at one commit. Paths are
 * repository-relative, `/`-separated and normalized; anything that would leave the root is an
 * error, never a silent clamp.
 */
import { SourceError } from '../errors.ts';

/** What `stat` reports about a path. */
export interface FileStat {
  kind: 'file' | 'dir';
  /** Size in bytes (files only; 0 for directories). */
  size: number;
}

/** Read-only view of a repository at one commit. */
export interface FileTree {
  /** The commit this tree was read at, or a description of its origin (e.g. a directory). */
  readonly revision: string;
  /** Bytes of a file. Throws `SourceError` when it is missing or a directory. */
  read(path: string): Promise<Uint8Array>;
  /** Names of the entries of a directory, sorted. Throws `SourceError` when it is missing. */
  list(path: string): Promise<string[]>;
  /** What is at a path, or `undefined` when nothing is. */
  stat(path: string): Promise<FileStat | undefined>;
}

/**
 * Normalizes a repository-relative path: resolves `.` and `..`, drops empty segments and a
 * leading `/`. The root is `''`. A path that climbs above the root is a `SourceError`.
 */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) {
        throw new SourceError(`${path}: path leaves the repository root`, {
          file: path,
          hint: 'Keep every path inside the repository.',
        });
      }
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return out.join('/');
}

/** Joins repository-relative path segments and normalizes the result. */
export function joinPath(...parts: string[]): string {
  return normalizePath(parts.filter((p) => p !== '').join('/'));
}

/** The directory part of a normalized path (`''` for top-level entries). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of a path. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Reads a file as UTF-8 text. */
export async function readText(tree: FileTree, path: string): Promise<string> {
  return new TextDecoder('utf-8', { fatal: false }).decode(await tree.read(path));
}

/** A `FileTree` held in memory: built from a tarball, a GitHub tree, or a test's literal. */
export class MemoryFileTree implements FileTree {
  readonly revision: string;
  readonly #files = new Map<string, Uint8Array>();
  readonly #dirs = new Map<string, Set<string>>([['', new Set()]]);

  /** `files` maps repository-relative paths to contents (strings are UTF-8 encoded). */
  constructor(
    files: Record<string, string | Uint8Array> | Map<string, Uint8Array>,
    revision = 'memory',
  ) {
    this.revision = revision;
    const entries = files instanceof Map ? files.entries() : Object.entries(files);
    for (const [path, content] of entries) {
      this.#add(path, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    }
  }

  #add(rawPath: string, content: Uint8Array): void {
    const path = normalizePath(rawPath);
    if (path === '') throw new SourceError(`${rawPath}: not a file path`, { file: rawPath });
    this.#files.set(path, content);
    let child = path;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      let entries = this.#dirs.get(dir);
      if (!entries) {
        entries = new Set();
        this.#dirs.set(dir, entries);
      }
      entries.add(basename(child));
      if (dir === '') break;
      child = dir;
    }
  }

  async read(path: string): Promise<Uint8Array> {
    const key = normalizePath(path);
    const content = this.#files.get(key);
    if (content) return content;
    throw new SourceError(
      this.#dirs.has(key) ? `${key}: is a directory, not a file` : `${key}: no such file`,
      { file: key },
    );
  }

  async list(path: string): Promise<string[]> {
    const key = normalizePath(path);
    const entries = this.#dirs.get(key);
    if (!entries) throw new SourceError(`${key || '.'}: no such directory`, { file: key });
    return [...entries].sort();
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const key = normalizePath(path);
    const content = this.#files.get(key);
    if (content) return { kind: 'file', size: content.byteLength };
    return this.#dirs.has(key) ? { kind: 'dir', size: 0 } : undefined;
  }

  /** Every file path in the tree, sorted. */
  paths(): string[] {
    return [...this.#files.keys()].sort();
  }
}
