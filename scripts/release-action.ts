/**
 * `npm run release:action`: makes the commit a GitHub Action release points at. `uses:
 * owner/plumbline@v0` runs `dist/action/index.js` straight from the repository at that tag,
 * with no install or build step, so the built files must be in the tagged commit; they are
 * not on main, where they would conflict on every merge and drift from the sources. This
 * builds from a clean HEAD, commits `dist/action/` on top of it (a commit no branch contains),
 * tags it `v<version>` and moves the major tag (`v0`, `v1`), and prints what to push.
 * Run: `node scripts/release-action.ts [--allow-dirty]`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Makes the release commit and its tags; returns the tag names and the commit. */
export async function releaseAction(options: { allowDirty?: boolean } = {}): Promise<{
  commit: string;
  tags: string[];
}> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  if (!options.allowDirty && git(['status', '--porcelain']) !== '') {
    throw new Error('the work tree has changes: commit them first (a release builds HEAD)');
  }
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
  if (!changelog.includes(`## [${version}]`)) {
    throw new Error(`CHANGELOG.md has no section for ${version}: add '## [${version}] - date'`);
  }
  if (git(['tag', '--list', `v${version}`]) !== '') {
    throw new Error(`tag v${version} exists: a released version is never moved; bump the version`);
  }
  const head = git(['rev-parse', 'HEAD']);
  await build(join(root, 'dist'));
  // A separate index, so the release commit is HEAD's tree plus dist/action and nothing else.
  const env = { GIT_INDEX_FILE: resolve(root, git(['rev-parse', '--git-path', 'release-index'])) };
  try {
    git(['read-tree', head], env);
    git(['add', '--force', 'dist/action'], env);
    const tree = git(['write-tree'], env);
    const commit = git([
      'commit-tree',
      tree,
      '-p',
      head,
      '-m',
      `Release ${version} (action build)`,
    ]);
    const major = `v${version.split('.')[0]}`;
    const tags = [`v${version}`, major];
    // A version tag is never moved; the major tag follows the latest release.
    git(['tag', tags[0] as string, commit]);
    git(['tag', '--force', major, commit]);
    return { commit, tags };
  } finally {
    rmSync(env.GIT_INDEX_FILE, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { commit, tags } = await releaseAction({
    allowDirty: process.argv.includes('--allow-dirty'),
  });
  process.stdout.write(
    `release commit ${commit} tagged ${tags.join(', ')}\n` +
      `publish: git push --force origin ${tags.map((t) => `refs/tags/${t}`).join(' ')} && npm publish\n`,
  );
}
