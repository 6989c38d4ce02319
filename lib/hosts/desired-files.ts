/**
 * The desired state of a `files` app: every file under its directory at one commit, with the
 * mode it gets on the host and its SHA-256. SOPS-encrypted files are decrypted here, in
 * memory, marked sensitive and always get mode 0600; their plaintext only ever travels to the
 * host. File names become names on the host, so they are held to a plain character set.
 */

import type { FileModeRule, FilesAppConfig } from '../config/repo-config.ts';
import type { FileDecryptor } from '../core/decryptor.ts';
import { sha256Hex } from '../core/encoding.ts';
import { RenderError } from '../errors.ts';
import type { FileTree } from '../source/file-tree.ts';
import { joinPath } from '../source/file-tree.ts';
import type { Bytes } from './ssh/wire.ts';

/** One file as it should be on the host. */
export interface DesiredFile {
  /** Path relative to the destination directory (and to the app's directory in Git). */
  path: string;
  content: Bytes;
  /** Permission bits. */
  mode: number;
  /** Hex SHA-256 of `content`. */
  sha256: string;
  /** Decrypted from SOPS: its content never appears in any output. */
  sensitive: boolean;
}

/** The whole desired set of a `files` app. */
export interface DesiredFiles {
  files: DesiredFile[];
  /** Repository paths read: the app's dependency set, for change detection. */
  sources: string[];
  /** Hex SHA-256 over every path, mode and content hash: equal sets, equal digests. */
  digest: string;
}

/**
 * Names a deployed file may have: letters, digits and `._+@-` in `/`-separated segments, not
 * starting with `-` (an option to any command) and never `.` or `..` (`.env` is fine).
 */
const SAFE_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._+@][A-Za-z0-9._+@-]*$/;

/** Files of the app's directory that are tooling, not config for the host. */
const SKIPPED = new Set(['.sops.yaml']);

/** Most files one app may deploy, and most bytes in all (a host is not an artifact store). */
const MAX_FILES = 2_000;
const MAX_BYTES = 64 * 1024 * 1024;

/** A path pattern as a regular expression: `*` within a segment, `**` across segments. */
export function patternToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:[^/]+/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The mode of `path`: the first matching rule's, else the app's default. */
export function modeOf(path: string, rules: readonly FileModeRule[], fallback: number): number {
  return rules.find((rule) => patternToRegExp(rule.pattern).test(path))?.mode ?? fallback;
}

/** Checks a deployed file name; throws `RenderError` naming the file. */
function checkName(repoPath: string, relative: string): void {
  const segments = relative.split('/');
  if (segments.some((s) => !SAFE_SEGMENT.test(s)) || segments[0] === '.plumbline') {
    throw new RenderError(
      `${repoPath}: this file name cannot be deployed to a host (use letters, digits and . _ + @ -, not starting with '-')`,
      {
        file: repoPath,
        hint: "Rename the file, or add it to the app's directory under a plain name; Plumbline keeps its own state in .plumbline/.",
      },
    );
  }
}

/**
 * Reads the app's directory at the tree's commit. Throws `RenderError` for a missing
 * directory, an unusable name or too much data, and `DecryptError` (from the decryptor) for a
 * SOPS file that cannot be decrypted; nothing is deployed then.
 */
export async function loadDesiredFiles(
  tree: FileTree,
  app: Pick<FilesAppConfig, 'path' | 'mode' | 'modes'>,
  decryptor: FileDecryptor,
): Promise<DesiredFiles> {
  const root = app.path;
  const stat = await tree.stat(root);
  if (stat?.kind !== 'dir') {
    throw new RenderError(`${root || '.'}: the app's directory does not exist at this commit`, {
      file: root,
      hint: "Check the app's path in plumbline.yaml.",
    });
  }
  const files: DesiredFile[] = [];
  let total = 0;
  const walk = async (relative: string): Promise<void> => {
    for (const name of await tree.list(joinPath(root, relative))) {
      const child = relative ? `${relative}/${name}` : name;
      const repoPath = joinPath(root, child);
      const kind = (await tree.stat(repoPath))?.kind;
      if (kind === 'dir') {
        await walk(child);
        continue;
      }
      if (SKIPPED.has(child)) continue;
      checkName(repoPath, child);
      const raw = await tree.read(repoPath);
      const decrypted = await decryptor.decrypt(repoPath, raw);
      const content = new Uint8Array(decrypted?.plaintext ?? raw) as Bytes;
      total += content.length;
      if (files.length >= MAX_FILES || total > MAX_BYTES) {
        throw new RenderError(
          `${root || '.'}: more than ${MAX_FILES} files or ${MAX_BYTES / 1024 / 1024} MiB to deploy`,
          { file: root, hint: 'Deploy configuration files, not build artifacts.' },
        );
      }
      files.push({
        path: child,
        content,
        mode: decrypted ? 0o600 : modeOf(child, app.modes, app.mode),
        sha256: await sha256Hex(content),
        sensitive: decrypted !== undefined,
      });
    }
  };
  await walk('');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const summary = files.map((f) => `${f.path}\0${f.mode.toString(8)}\0${f.sha256}\n`).join('');
  return {
    files,
    sources: files.map((f) => joinPath(root, f.path)),
    digest: await sha256Hex(summary),
  };
}
