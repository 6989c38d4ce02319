/**
 * The render sandbox's only door to the repository: every file a render reads goes through a
 * `Loader`, which confines it to the tree and to kustomize's RootOnly load restrictions,
 * refuses remote URLs, bounds sizes, decrypts SOPS files and records the dependency set.
 */
import type { FileDecryptor } from '../core/decryptor.ts';
import { PlumblineError, RenderError } from '../errors.ts';
import { type FileStat, type FileTree, normalizePath } from '../source/file-tree.ts';
import { RenderBudget } from './budget.ts';
import type { RenderLimits } from './limits.ts';
import { utf8Text } from './utf8.ts';

/** The bytes of a loaded file and whether they came out of a decryption. */
export interface LoadedFile {
  path: string;
  /**
   * The file as UTF-8 text, decoded on each read (so no second copy of every file is held).
   * Throws `RenderError` when the bytes are not valid UTF-8: kustomize refuses such manifests,
   * patches and env files, where a lenient decoder would silently replace bytes.
   */
  readonly text: string;
  bytes: Uint8Array;
  sensitive: boolean;
}

/** Where a path came from, for error messages: the kustomization file and its field. */
export interface LoadContext {
  /** The kustomization file (or manifest) that names the path. */
  file: string;
  /** The field naming it, e.g. `resources`, `patches[0].path`. */
  field: string;
}

const remote =
  /^(?:[a-z][a-z0-9+.-]*:\/\/|[a-z]+::|git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)/i;

/** True when a kustomization entry names something to download rather than a local path. */
export function isRemote(entry: string): boolean {
  return remote.test(entry);
}

/** True when `path` is `root` or lies under it (both normalized). */
export function isWithin(path: string, root: string): boolean {
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/** Reads files for one render and remembers every path it read. */
export class Loader {
  readonly #tree: FileTree;
  readonly #limits: RenderLimits;
  readonly #decryptor: FileDecryptor | undefined;
  readonly #cache = new Map<string, Promise<LoadedFile>>();
  /** Every file read: the dependency set. */
  readonly files = new Set<string>();
  /** The bytes as written in Git (ciphertext) of every file that was decrypted, by path. */
  readonly encrypted = new Map<string, Uint8Array>();
  /** The render's work budget: it grows with every byte read. */
  readonly budget: RenderBudget;
  #totalBytes = 0;

  constructor(tree: FileTree, limits: RenderLimits, decryptor?: FileDecryptor) {
    this.#tree = tree;
    this.#limits = limits;
    this.#decryptor = decryptor;
    this.budget = new RenderBudget(limits);
  }

  /** The limits this render runs under. */
  get limits(): RenderLimits {
    return this.#limits;
  }

  /**
   * Resolves `entry` relative to the directory `base`; refuses remote URLs, absolute paths and
   * anything that leaves the repository.
   */
  resolve(base: string, entry: string, ctx: LoadContext): string {
    if (isRemote(entry)) {
      throw new RenderError(
        `${ctx.file}: ${ctx.field} '${entry}' is a remote resource; Plumbline renders only files in the repository`,
        {
          file: ctx.file,
          hint: 'Vendor the remote base into the repository and refer to it by a relative path.',
        },
      );
    }
    if (entry.startsWith('/')) {
      throw new RenderError(`${ctx.file}: ${ctx.field} '${entry}' is an absolute path`, {
        file: ctx.file,
        hint: 'Use a path relative to the kustomization directory.',
      });
    }
    try {
      return normalizePath(base === '' ? entry : `${base}/${entry}`);
    } catch (error) {
      throw new RenderError(`${ctx.file}: ${ctx.field} '${entry}' leaves the repository root`, {
        file: ctx.file,
        cause: error,
        hint: 'Keep every path inside the repository.',
      });
    }
  }

  /** What is at a path (never throws for a missing path). */
  async stat(path: string): Promise<FileStat | undefined> {
    try {
      return await this.#tree.stat(path);
    } catch (error) {
      throw this.#wrap(error, path);
    }
  }

  /** Directory entries. */
  async list(path: string): Promise<string[]> {
    try {
      return await this.#tree.list(path);
    } catch (error) {
      throw this.#wrap(error, path);
    }
  }

  /**
   * Reads a file that must lie inside `root` (kustomize's RootOnly restriction), decrypting it
   * when it is a SOPS file.
   */
  async read(path: string, root: string, ctx: LoadContext): Promise<LoadedFile> {
    if (!isWithin(path, root)) {
      throw new RenderError(
        `${ctx.file}: ${ctx.field} '${path}' is outside the kustomization directory '${root || '.'}'`,
        {
          file: ctx.file,
          hint: 'kustomize load restrictions (RootOnly) allow files only under the kustomization; use a base or component for shared files.',
        },
      );
    }
    let loaded = this.#cache.get(path);
    if (!loaded) {
      loaded = this.#load(path, ctx);
      this.#cache.set(path, loaded);
    }
    return loaded;
  }

  async #load(path: string, ctx: LoadContext): Promise<LoadedFile> {
    const stat = await this.stat(path);
    if (!stat) {
      throw new RenderError(`${ctx.file}: ${ctx.field} '${path}' does not exist`, {
        file: ctx.file,
        hint: 'Check the path; it is relative to the kustomization directory.',
      });
    }
    if (stat.kind !== 'file') {
      throw new RenderError(`${ctx.file}: ${ctx.field} '${path}' is a directory, not a file`, {
        file: ctx.file,
      });
    }
    if (stat.size > this.#limits.maxFileBytes) {
      throw new RenderError(
        `${path}: file is ${stat.size} bytes, more than the render limit of ${this.#limits.maxFileBytes}`,
        { file: path, hint: 'Split the file or raise limits.maxFileBytes.' },
      );
    }
    if (this.files.size >= this.#limits.maxFiles && !this.files.has(path)) {
      throw new RenderError(`${path}: render reads more than ${this.#limits.maxFiles} files`, {
        file: path,
      });
    }
    this.files.add(path);
    let bytes: Uint8Array;
    try {
      bytes = await this.#tree.read(path);
    } catch (error) {
      throw this.#wrap(error, path);
    }
    this.#totalBytes += bytes.byteLength;
    this.budget.read(bytes.byteLength);
    if (this.#totalBytes > this.#limits.maxTotalBytes) {
      throw new RenderError(
        `${path}: the render reads more than ${this.#limits.maxTotalBytes} bytes in all`,
        { file: path, hint: 'Split the app or raise limits.maxTotalBytes.' },
      );
    }
    if (bytes.byteLength > this.#limits.maxFileBytes) {
      throw new RenderError(
        `${path}: file is ${bytes.byteLength} bytes, more than the render limit of ${this.#limits.maxFileBytes}`,
        { file: path },
      );
    }
    let sensitive = false;
    if (this.#decryptor) {
      const decrypted = await this.#decryptor.decrypt(path, bytes);
      if (decrypted) {
        this.encrypted.set(path, bytes);
        bytes = decrypted.plaintext;
        sensitive = true;
      }
    }
    const content = bytes;
    return {
      path,
      bytes: content,
      sensitive,
      get text() {
        return utf8Text(content, path);
      },
    };
  }

  /** Tree errors (missing files, path escapes, symlinks out of the root) become render errors. */
  #wrap(error: unknown, path: string): Error {
    if (error instanceof RenderError) return error;
    const message = error instanceof PlumblineError ? error.message : `${path}: cannot be read`;
    return new RenderError(message, { file: path, cause: error });
  }
}
