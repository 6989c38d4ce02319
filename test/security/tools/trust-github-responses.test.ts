/**
 * Prototype pollution from GitHub's answers (finding 2, response side): a repository whose
 * paths are `__proto__`, `constructor` and `prototype`, read through the real Octokit client
 * from the GitHub test server (tarball, single file, comparison), stays a repository of
 * ordinary paths, and `Object.prototype` is untouched.
 */
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OctokitGitHost } from '../../../lib/github/octokit-git-host.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

const repo = { owner: 'acme', repo: 'deploy' };
let git: TestGitRepo;
let server: GitHubServer;
let base: string;
let head: string;

beforeAll(async () => {
  git = TestGitRepo.create();
  base = git.commit({ 'plumbline.yaml': 'apps: []\n' });
  head = git.commit({
    '__proto__/polluted.yaml': 'polluted: true\n',
    'constructor/prototype/polluted.yaml': 'x: 1\n',
    'prototype.yaml': 'y: 1\n',
  });
  server = await startGitHubServer({ repos: { 'acme/deploy': git } });
});

afterAll(async () => {
  await server?.close();
  git?.remove();
});

describe('hostile paths in GitHub answers stay paths', () => {
  it('reads them from the archive, as single files and in a comparison', async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const host = new OctokitGitHost({ octokit: new Octokit({ baseUrl: server.url, log: quiet }) });
    const tree = await host.treeAt(repo, head);
    expect(await readText(tree, '__proto__/polluted.yaml')).toBe('polluted: true\n');
    expect(await readText(tree, 'constructor/prototype/polluted.yaml')).toBe('x: 1\n');
    expect(await tree.list('__proto__')).toEqual(['polluted.yaml']);
    const file = await host.readFile(repo, head, 'prototype.yaml');
    expect(new TextDecoder().decode(file)).toBe('y: 1\n');
    const comparison = await host.compare(repo, base, head);
    expect(comparison.files.map((f) => f.path).sort()).toEqual([
      '__proto__/polluted.yaml',
      'constructor/prototype/polluted.yaml',
      'prototype.yaml',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted.yaml');
  });
});
