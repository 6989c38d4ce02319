import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitCliSource } from '../../../functions/node/git-cli-source.ts';
import { SourceError } from '../../../lib/errors.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { startGitHttpServer, TestRepo } from '../../env/git-repos.ts';
import { sshKeygen, startSshd } from '../../env/sshd.ts';

const ref = { owner: 'local', repo: 'site' };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plumbline-git-source-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sourceOf(url: string, extra: Partial<ConstructorParameters<typeof GitCliSource>[0]> = {}) {
  return new GitCliSource({
    name: 'local/site',
    source: { url, pollIntervalSeconds: 60 },
    cacheDir: join(dir, 'cache'),
    ...extra,
  });
}

/** Refs in the source's bare cache: empty until something was fetched. */
function cachedRefs(): string {
  const caches = join(dir, 'cache');
  if (!existsSync(caches)) return '';
  return execFileSync(
    'sh',
    ['-c', `for d in ${caches}/*.git; do git --git-dir="$d" for-each-ref; done`],
    {
      encoding: 'utf8',
    },
  );
}

describe('GitCliSource over a local path', () => {
  it('lists every branch head and the default branch without fetching anything', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    const main = repo.commit({ 'plumbline.yaml': 'apps: []\n' });
    repo.git('branch', 'release');
    const heads = await sourceOf(repo.dir).heads();
    expect(heads.defaultBranch).toBe('main');
    expect(Object.fromEntries(heads.branches)).toEqual({ main, release: main });
    expect(cachedRefs()).toBe('');
  });

  it('reads the tree at a commit, fetching it once, and links inside the tree as copies', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    repo.commit({
      'apps/web/a.yaml': 'kind: A\n',
      'apps/web/run.sh': '#!/bin/sh\n',
      '.gitattributes': 'apps/** export-ignore\nREADME.md export-subst\n',
      'README.md': '$Format:%H$\n',
    });
    const head = repo.commitSymlink('apps/web/b.yaml', 'a.yaml');
    const source = sourceOf(repo.dir);
    const tree = await source.treeAt(ref, head);
    expect(tree.revision).toBe(head);
    expect(await tree.list('apps/web')).toEqual(['a.yaml', 'b.yaml', 'run.sh']);
    expect(await readText(tree, 'apps/web/b.yaml')).toBe('kind: A\n');
    // The repository's attributes neither hide nor rewrite files.
    expect(await readText(tree, 'README.md')).toBe('$Format:%H$\n');
    expect(cachedRefs()).toContain(`${head} commit\trefs/heads/main`);
    expect(await source.readFile(ref, head, 'apps/web/a.yaml')).toEqual(
      new TextEncoder().encode('kind: A\n'),
    );
    expect(await source.readFile(ref, head, 'plumbline.yaml')).toBeUndefined();
    expect(await source.readFile(ref, head, 'apps/web')).toBeUndefined();
  });

  it('refuses a tree with a symlink that leads out of the repository', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    const head = repo.commitSymlink('apps/web/passwd.yaml', '../../../../../etc/passwd');
    const error = await sourceOf(repo.dir)
      .treeAt(ref, head)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe(
      'local/site@' +
        head.slice(0, 7) +
        ": apps/web/passwd.yaml: link to '../../../../../etc/passwd' leaves the repository root",
    );
  });

  it('never runs the hooks of the repository it reads', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    const marker = join(dir, 'hook-ran');
    for (const hook of ['post-checkout', 'reference-transaction', 'pre-receive', 'post-update']) {
      const file = join(repo.dir, '.git', 'hooks', hook);
      writeFileSync(file, `#!/bin/sh\ntouch ${marker}\n`);
      chmodSync(file, 0o755);
    }
    rmSync(marker, { force: true });
    const head = repo.commit({ 'a.yaml': 'a\n' });
    rmSync(marker, { force: true });
    const source = sourceOf(repo.dir);
    await source.heads();
    await source.treeAt(ref, head);
    await source.compare(ref, head, head);
    expect(existsSync(marker)).toBe(false);
  });

  it('lists what changed between two commits, renames included', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    const base = repo.commit({
      'a.yaml': 'a: 1\n',
      'b.yaml': 'b: 1\n',
      'old/c.yaml': 'c: 1\n'.repeat(20),
    });
    const head = repo.commit({
      'a.yaml': 'a: 2\n',
      'b.yaml': null,
      'new.yaml': 'n\n',
      'old/c.yaml': null,
      'moved/c.yaml': 'c: 1\n'.repeat(20),
    });
    const comparison = await sourceOf(repo.dir).compare(ref, base, head);
    expect(comparison.truncated).toBe(false);
    expect(comparison.files).toEqual(
      expect.arrayContaining([
        { path: 'a.yaml', status: 'modified' },
        { path: 'b.yaml', status: 'removed' },
        { path: 'new.yaml', status: 'added' },
        { path: 'moved/c.yaml', status: 'renamed', previousPath: 'old/c.yaml' },
      ]),
    );
    expect(comparison.files).toHaveLength(4);
  });

  it('cannot list the change of a rewritten history: every app is then affected', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    repo.commit({ 'a.yaml': 'a: 1\n' });
    const dropped = repo.commit({ 'a.yaml': 'a: 2\n' });
    const source = sourceOf(repo.dir);
    await source.treeAt(ref, dropped);
    repo.git('reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = repo.commit({ 'b.yaml': 'b\n' });
    expect(await source.compare(ref, dropped, rewritten)).toEqual({
      base: dropped,
      head: rewritten,
      files: [],
      truncated: true,
    });
  });

  it('says who made a commit and what it says', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    const head = repo.commit({ 'a.yaml': 'a\n' }, 'Scale web to three replicas\n\nBecause.');
    expect(await sourceOf(repo.dir).commitInfo(ref, head)).toEqual({
      sha: head,
      author: 'Ada Author',
      title: 'Scale web to three replicas',
    });
  });

  it('refuses a commit on no branch and a branch that does not exist, clearly', async () => {
    const repo = TestRepo.init(join(dir, 'site'));
    repo.commit({ 'a.yaml': 'a\n' });
    const source = sourceOf(repo.dir);
    await expect(source.treeAt(ref, 'f'.repeat(40))).rejects.toThrow(
      `local/site (${repo.dir}): commit fffffff is not on any of its branches`,
    );
    await expect(source.branchHead(ref, 'nope')).rejects.toThrow(
      `local/site (${repo.dir}): branch 'nope' does not exist`,
    );
    await expect(source.treeAt(ref, 'main')).rejects.toThrow("'main' is not a full commit sha");
  });

  it('says a directory that is not a Git repository is not one, and a missing one is missing', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const notRepo = await sourceOf(plain)
      .heads()
      .catch((e: unknown) => e);
    expect(notRepo).toBeInstanceOf(SourceError);
    expect((notRepo as SourceError).message).toBe(`local/site (${plain}): is not a Git repository`);
    expect((notRepo as SourceError).hint).toMatch(/git init/);
    await expect(sourceOf(join(dir, 'missing')).heads()).rejects.toThrow(
      `local/site (${join(dir, 'missing')}): no such directory`,
    );
  });
});

describe('GitCliSource over HTTP (git http-backend)', () => {
  it('reads a remote with basic credentials from the settings, polling with one request', async () => {
    const repo = TestRepo.init(join(dir, 'work'));
    const head = repo.commit({ 'plumbline.yaml': 'apps: []\n', 'a.yaml': 'a\n' });
    mkdirSync(join(dir, 'srv'));
    execFileSync('git', ['clone', '--quiet', '--bare', repo.dir, join(dir, 'srv', 'site.git')]);
    const server = await startGitHttpServer(join(dir, 'srv'), {
      username: 'deploy',
      password: 'hunter2-token',
    });
    try {
      const url = `${server.url}/site.git`;
      const source = sourceOf(url, {
        source: {
          url,
          pollIntervalSeconds: 60,
          httpAuth: { username: 'deploy', passwordSecret: 'git-token' },
        },
        httpPassword: 'hunter2-token',
      });
      server.requests.length = 0;
      expect((await source.heads()).branches.get('main')).toBe(head);
      // Protocol v2: the capability advertisement and one ls-refs command.
      expect(server.requests).toEqual([
        'GET /site.git/info/refs',
        'POST /site.git/git-upload-pack',
      ]);
      const tree = await source.treeAt(ref, head);
      expect(await readText(tree, 'a.yaml')).toBe('a\n');

      const refused = await sourceOf(url)
        .heads()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SourceError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^local/site \\(${url.replace(/[.]/g, '\\.')}\\): cannot list its branches: access refused: `,
        ),
      );
      expect((refused as Error).message).not.toContain('hunter2');
    } finally {
      await server.close();
    }
  });

  it('says an unreachable remote cannot be reached', async () => {
    const error = await sourceOf('https://127.0.0.1:9/team/site.git')
      .heads()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(
      /^local\/site \(https:\/\/127\.0\.0\.1:9\/team\/site\.git\): cannot list its branches: cannot be reached: /,
    );
  });
});

describe('GitCliSource over SSH (a real sshd)', () => {
  it('reads a remote with the key from the settings, trusting only the pinned host key', async () => {
    const repo = TestRepo.init(join(dir, 'work'));
    const head = repo.commit({ 'plumbline.yaml': 'apps: []\n', 'a.yaml': 'a\n' });
    const bare = join(dir, 'srv', 'site.git');
    mkdirSync(join(dir, 'srv'));
    execFileSync('git', ['clone', '--quiet', '--bare', repo.dir, bare]);
    mkdirSync(join(dir, 'keys'));
    const [keyFile, publicKey] = sshKeygen(join(dir, 'keys'), 'client');
    const [, otherHostKey] = sshKeygen(join(dir, 'keys'), 'other-host');
    const sshd = await startSshd({ keyLines: [publicKey] });
    try {
      const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`;
      const withKey = (hostKey: string, cache: string) =>
        new GitCliSource({
          name: 'ops/site',
          source: {
            url,
            pollIntervalSeconds: 60,
            ssh: { privateKeySecret: 'git-ssh-key', hostKeys: [hostKey] },
          },
          cacheDir: join(dir, cache),
          sshPrivateKey: readFileSync(keyFile, 'utf8'),
        });
      const source = withKey(sshd.hostKey, 'cache');
      expect((await source.heads()).branches.get('main')).toBe(head);
      expect(await readText(await source.treeAt(ref, head), 'a.yaml')).toBe('a\n');

      const refused = await withKey(otherHostKey, 'cache-2')
        .heads()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SourceError);
      expect((refused as Error).message).toBe(
        `ops/site (${url}): cannot list its branches: the server's host key is not a pinned one`,
      );
      expect((refused as SourceError).hint).toMatch(/A changed host key is refused/);
    } finally {
      await sshd.stop();
    }
  });
});
