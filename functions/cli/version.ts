/**
 * What `plumbline --version` prints: the package version and the commit it was built from.
 * The build (`scripts/build.ts`) writes both into the bundle as `PLUMBLINE_BUILD`; run from a
 * checkout (`node functions/cli.ts`), they are read from `package.json` and git.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Replaced by the build with the package version; absent when run from the sources. */
declare const PLUMBLINE_VERSION: string | undefined;
/** Replaced by the build with the commit it was built from. */
declare const PLUMBLINE_COMMIT: string | undefined;

/** The version and commit of this Plumbline. */
export interface BuildInfo {
  version: string;
  /** The commit (12 hex digits, `-dirty` when built from a modified tree), or `unknown`. */
  commit: string;
}

/** The commit of the git checkout at `dir`, as the build records it. */
export function gitCommit(dir: string): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) === ''
      ? commit
      : `${commit}-dirty`;
  } catch {
    return 'unknown';
  }
}

/** This Plumbline's version and commit. */
export function buildInfo(): BuildInfo {
  if (typeof PLUMBLINE_VERSION === 'string' && typeof PLUMBLINE_COMMIT === 'string') {
    return { version: PLUMBLINE_VERSION, commit: PLUMBLINE_COMMIT };
  }
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
    version: string;
  };
  return { version, commit: gitCommit(root) };
}

/** The line `plumbline --version` prints. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `plumbline ${info.version} (commit ${info.commit})\n`;
}
