import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubError, SourceError } from '../../../lib/errors.ts';
import { OctokitGitHost } from '../../../lib/github/octokit-git-host.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

const TOKEN = 'ghs_test_token_value';
const repo = { owner: 'acme', repo: 'deploy' };
let git: TestGitRepo;
let server: GitHubServer;
let first: string;
let second: string;

function host(options: { token?: string; maxArchiveBytes?: number } = {}) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const octokit = new Octokit({ auth: options.token ?? TOKEN, baseUrl: server.url, log: quiet });
  return new OctokitGitHost({
    octokit,
    ...(options.maxArchiveBytes ? { maxArchiveBytes: options.maxArchiveBytes } : {}),
  });
}

beforeAll(async () => {
  git = TestGitRepo.create();
  first = git.commit({
    'plumbline.yaml': 'apps: []\n',
    'apps/web/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'apps/web/deployment.yaml': 'kind: Deployment\n',
    'apps/shared': { symlink: 'web' },
  });
  second = git.commit({
    'apps/web/deployment.yaml': 'kind: Deployment\nspec: {}\n',
    'apps/api/a.yaml': 'a',
  });
  server = await startGitHubServer({ repos: { 'acme/deploy': git }, token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  git?.remove();
});

describe('OctokitGitHost against the GitHub test server', () => {
  it('reads the head of a branch', async () => {
    expect(await host().branchHead(repo, 'main')).toBe(second);
  });

  it('reads the repository at a commit from one tarball, then from the cache', async () => {
    const gitHost = host();
    const before = server.requests.length;
    const tree = await gitHost.treeAt(repo, first);
    expect(tree.revision).toBe(first);
    expect(await readText(tree, 'apps/web/deployment.yaml')).toBe('kind: Deployment\n');
    expect(await readText(tree, 'apps/shared/kustomization.yaml')).toBe(
      'resources: [deployment.yaml]\n',
    );
    expect(await tree.list('')).toEqual(['apps', 'plumbline.yaml']);
    const again = await gitHost.treeAt(repo, first);
    expect(again).toBe(tree);
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/acme/deploy/tarball/${first}`,
      `GET /codeload/acme/deploy/legacy.tar.gz/${first}`,
    ]);
  });

  it('reads one file through the contents API, and from a cached tree when there is one', async () => {
    const gitHost = host();
    const before = server.requests.length;
    const bytes = await gitHost.readFile(repo, first, 'apps/web/deployment.yaml');
    expect(new TextDecoder().decode(bytes)).toBe('kind: Deployment\n');
    expect(await gitHost.readFile(repo, first, 'missing.yaml')).toBeUndefined();
    expect(await gitHost.readFile(repo, first, 'apps/web')).toBeUndefined();
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([
      '/repos/acme/deploy/contents/apps/web/deployment.yaml',
      '/repos/acme/deploy/contents/missing.yaml',
      '/repos/acme/deploy/contents/apps/web',
    ]);
    await gitHost.treeAt(repo, first);
    const after = server.requests.length;
    expect(new TextDecoder().decode(await gitHost.readFile(repo, first, 'plumbline.yaml'))).toBe(
      'apps: []\n',
    );
    expect(server.requests.length).toBe(after);
  });

  it('refuses a branch name where a commit sha is required', async () => {
    await expect(host().treeAt(repo, 'main')).rejects.toThrow(
      new SourceError("acme/deploy: 'main' is not a full commit sha"),
    );
  });

  it('lists the files changed between two commits', async () => {
    const comparison = await host().compare(repo, first, second);
    expect(comparison).toEqual({
      base: first,
      head: second,
      truncated: false,
      files: [
        { path: 'apps/api/a.yaml', status: 'added' },
        { path: 'apps/web/deployment.yaml', status: 'modified' },
      ],
    });
  });

  it('flags a comparison GitHub cut at 300 files as truncated', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 301; i += 1) many[`bulk/${i}.yaml`] = `${i}\n`;
    const bulk = git.commit(many, 'bulk', 'bulk');
    const comparison = await host().compare(repo, second, bulk);
    expect(comparison.files).toHaveLength(300);
    expect(comparison.truncated).toBe(true);
  });

  it('reports a missing branch as a GitHubError naming it', async () => {
    const error = await host()
      .branchHead(repo, 'nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({
      status: 404,
      message: "acme/deploy: cannot read branch 'nope': not found (or the token cannot see it)",
    });
  });

  it('reports a refused token without echoing it', async () => {
    const error = (await host({ token: 'wrong-token-value' })
      .branchHead(repo, 'main')
      .catch((e: unknown) => e)) as GitHubError;
    expect(error).toBeInstanceOf(GitHubError);
    expect(error.status).toBe(401);
    expect(error.message).toBe(
      "acme/deploy: cannot read branch 'main': the GitHub token was refused",
    );
    expect(error.hint).toContain('GitHub token');
    expect(`${error.message} ${error.hint}`).not.toContain('wrong-token-value');
  });

  it('refuses an archive larger than the bound', async () => {
    const big = git.commit({ 'big.bin': 'x'.repeat(300_000) }, 'big', 'big');
    await expect(host({ maxArchiveBytes: 100_000 }).treeAt(repo, big)).rejects.toThrow(
      `acme/deploy@${big.slice(0, 7)}: larger than 100000 bytes uncompressed`,
    );
  });

  it('refuses a repository with a symlink out of the root', async () => {
    const bad = git.commit({ 'apps/escape': { symlink: '../../etc/passwd' } }, 'escape', 'escape');
    const error = await host()
      .treeAt(repo, bad)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toBe(
      `acme/deploy@${bad.slice(0, 7)}: apps/escape: link to '../../etc/passwd' leaves the repository root`,
    );
  });

  it('does not cache a failed download', async () => {
    const gitHost = host();
    const missing = 'f'.repeat(40);
    await expect(gitHost.treeAt(repo, missing)).rejects.toBeInstanceOf(GitHubError);
    const before = server.count('GET', `/repos/acme/deploy/tarball/${missing}`);
    await expect(gitHost.treeAt(repo, missing)).rejects.toBeInstanceOf(GitHubError);
    expect(server.count('GET', `/repos/acme/deploy/tarball/${missing}`)).toBe(before + 1);
  });

  it('compares and reads a file once per pair of commits, as every job of one push asks', async () => {
    const gitHost = host();
    const compares = () => server.count('GET', `/repos/acme/deploy/compare/${first}...${second}`);
    const contents = () => server.count('GET', '/repos/acme/deploy/contents/plumbline.yaml');
    const [c0, f0] = [compares(), contents()];
    for (let job = 0; job < 5; job++) {
      expect((await gitHost.compare(repo, first, second)).files.length).toBeGreaterThan(0);
      expect(new TextDecoder().decode(await gitHost.readFile(repo, first, 'plumbline.yaml'))).toBe(
        'apps: []\n',
      );
    }
    expect(compares() - c0).toBe(1);
    expect(contents() - f0).toBe(1);
    // A branch name is not a key: it moves.
    await gitHost.compare(repo, first, 'main');
    await gitHost.compare(repo, first, 'main');
    expect(server.count('GET', `/repos/acme/deploy/compare/${first}...main`)).toBe(2);
  });
});
