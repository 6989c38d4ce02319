/** The revision `plumbline plan|apply` and `plumbline files` record when not given one. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkoutRevision } from '../../../functions/cli/checkout-revision.ts';

const scratch = mkdtempSync(join(tmpdir(), 'plumbline-checkout-revision-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function git(dir: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args],
    { encoding: 'utf8' },
  ).trim();
}

describe('checkoutRevision', () => {
  it("is the checkout's HEAD commit, from its root or any directory inside", () => {
    const repo = join(scratch, 'repo');
    mkdirSync(join(repo, 'apps/web'), { recursive: true });
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'apps/web/kustomization.yaml'), 'resources: []\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(checkoutRevision(repo)).toBe(head);
    expect(checkoutRevision(join(repo, 'apps/web'))).toBe(head);
  });

  it('is local outside a git checkout, in a checkout with no commit, and for a missing directory', () => {
    const plain = join(scratch, 'plain');
    mkdirSync(plain);
    expect(checkoutRevision(plain)).toBe('local');
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    git(empty, 'init', '-q');
    expect(checkoutRevision(empty)).toBe('local');
    expect(checkoutRevision(join(scratch, 'missing'))).toBe('local');
  });
});
