/**
 * The Action's release: `uses: owner/plumbline@v0` runs `dist/action/index.js` from the
 * repository at that tag, with no build step, so the release commit must carry it. Made in a
 * clone of this repository's HEAD, then checked out at the tag as the runner downloads it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};
let work: string;
let clone: string;

const git = (dir: string, args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'plumbline-release-'));
  clone = join(work, 'repo');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  git(clone, ['config', 'user.email', 'release@example.com']);
  git(clone, ['config', 'user.name', 'Release']);
  // The dependencies of this checkout, linked (and ignored: a symlink is not the directory
  // .gitignore names).
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
  appendFileSync(join(clone, '.git/info/exclude'), 'node_modules\n');
  execFileSync(process.execPath, [join(clone, 'scripts/release-action.ts')], {
    cwd: clone,
    encoding: 'utf8',
  });
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the Action release', () => {
  it('tags a commit on top of HEAD that adds the built action and nothing else', () => {
    const tagged = git(clone, ['rev-parse', `v${version}^{commit}`]);
    expect(git(clone, ['rev-parse', 'v0^{commit}'])).toBe(tagged);
    expect(git(clone, ['rev-parse', `${tagged}^`])).toBe(git(clone, ['rev-parse', 'HEAD']));
    const added = git(clone, ['diff', '--name-only', 'HEAD', tagged]).split('\n');
    expect(added).toContain('dist/action/index.js');
    expect(added.every((path) => path.startsWith('dist/action/'))).toBe(true);
    // The branch itself stays free of built files.
    expect(git(clone, ['ls-tree', '-r', '--name-only', 'HEAD', 'dist'])).toBe('');
    expect(git(clone, ['ls-tree', '--name-only', tagged, 'action.yml'])).toBe('action.yml');
  });

  it('runs from the tag as the runner downloads it, naming a missing input', () => {
    const checkout = join(work, 'action');
    execFileSync('mkdir', ['-p', checkout]);
    execFileSync('sh', ['-c', `git -C '${clone}' archive v0 | tar -x -C '${checkout}'`], {
      stdio: 'ignore',
    });
    const main = /main: (\S+)/.exec(readFileSync(join(checkout, 'action.yml'), 'utf8'))?.[1];
    expect(main).toBe('dist/action/index.js');
    expect(existsSync(join(checkout, 'node_modules'))).toBe(false);
    const result = spawnSync(process.execPath, [join(checkout, main as string)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', 'INPUT_GITHUB-TOKEN': 'x' },
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("::error::plumbline: input 'command' is required");
  });

  it('never moves a version tag that exists', () => {
    const again = spawnSync(process.execPath, [join(clone, 'scripts/release-action.ts')], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain(`v${version}`);
  });
});
