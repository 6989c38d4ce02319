/**
 * Turns the entries of a repository archive into a root-confined `MemoryFileTree`. Entries
 * that would leave the root (`..`, absolute paths) and symlinks pointing out of it are
 * refused; symlinks inside the root are resolved to copies, since a `FileTree` has no links.
 */
import { SourceError } from '../errors.ts';
import { dirname, joinPath, MemoryFileTree } from '../source/file-tree.ts';
import type { TarEntry } from './tar-archive.ts';

/** How an archive maps onto a tree. */
export interface ArchiveTreeOptions {
  /** The commit, becomes the tree's `revision`. */
  revision: string;
  /** Leading path segments to drop (1 for GitHub's `<owner>-<repo>-<sha7>/` prefix). */
  stripComponents: number;
  /** Names the archive in errors. */
  what: string;
}

/** How many links a chain may follow before it is called a loop. */
const MAX_LINK_DEPTH = 16;

/** Checks a raw archive path and returns it normalized, with the prefix stripped. */
function entryPath(raw: string, options: ArchiveTreeOptions): string | undefined {
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (raw.startsWith('/') || segments.includes('..')) {
    throw new SourceError(`${options.what}: entry '${raw}' leaves the repository root`, {
      hint: 'The archive is malformed or hostile; it was not used.',
    });
  }
  const rest = segments.slice(options.stripComponents);
  return rest.length === 0 ? undefined : rest.join('/');
}

/** Builds the tree; throws `SourceError` on escapes and link loops. */
export function treeFromArchive(entries: TarEntry[], options: ArchiveTreeOptions): MemoryFileTree {
  const files = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  for (const entry of entries) {
    const path = entryPath(entry.path, options);
    if (path === undefined || entry.type === 'directory') continue;
    if (entry.type === 'file') {
      files.set(path, entry.content);
      continue;
    }
    // A symlink target is relative to the link's directory; a hard link's to the archive root.
    const target = entry.linkTarget;
    const escapes = () =>
      new SourceError(`${options.what}: ${path}: link to '${target}' leaves the repository root`, {
        file: path,
        hint: 'Symlinks must point inside the repository.',
      });
    if (target.startsWith('/')) throw escapes();
    let resolved: string;
    try {
      resolved =
        entry.type === 'symlink'
          ? joinPath(dirname(path), target)
          : (entryPath(target, options) ?? '');
    } catch {
      throw escapes();
    }
    links.set(path, resolved);
  }
  for (const [link] of links) copyLink(link, files, links, options, 0);
  return new MemoryFileTree(files, options.revision);
}

/** Materializes `link` (to a file or a directory) into `files`. */
function copyLink(
  link: string,
  files: Map<string, Uint8Array>,
  links: Map<string, string>,
  options: ArchiveTreeOptions,
  depth: number,
): void {
  const target = links.get(link);
  if (target === undefined) return;
  if (depth > MAX_LINK_DEPTH) {
    throw new SourceError(`${options.what}: ${link}: too many levels of symbolic links`, {
      file: link,
    });
  }
  if (links.has(target)) copyLink(target, files, links, options, depth + 1);
  const content = files.get(target);
  if (content) {
    files.set(link, content);
    return;
  }
  // A link to a directory: copy what is under it (links below it first, so chains resolve).
  const prefix = target === '' ? '' : `${target}/`;
  if (link === target || link.startsWith(prefix)) {
    throw new SourceError(`${options.what}: ${link}: symbolic link loop`, { file: link });
  }
  for (const other of links.keys()) {
    if (other.startsWith(prefix) && other !== link)
      copyLink(other, files, links, options, depth + 1);
  }
  for (const [path, bytes] of [...files]) {
    if (path.startsWith(prefix)) files.set(`${link}/${path.slice(prefix.length)}`, bytes);
  }
  // A dangling link copies nothing: reading it fails like reading any missing file.
}
