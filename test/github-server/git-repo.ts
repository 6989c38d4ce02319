/**
 * A real git repository in a temporary directory, driven through the `git` CLI: the state
 * behind the GitHub test server. Tests commit to it and the server answers from it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** What a commit writes: file contents, `null` to delete, `{ symlink }` for a link. */
export type CommitFiles = Record<string, string | Uint8Array | null | { symlink: string }>;

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Plumbline Test',
  GIT_AUTHOR_EMAIL: 'test@plumbline.invalid',
  GIT_COMMITTER_NAME: 'Plumbline Test',
  GIT_COMMITTER_EMAIL: 'test@plumbline.invalid',
};

/** One commit of a push, as a push payload lists it. */
export interface PushedCommit {
  id: string;
  added: string[];
  modified: string[];
  removed: string[];
}

/** A git repository owned by a test. */
export class TestGitRepo {
  /** The work tree (and `.git` inside it). */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates an empty repository whose default branch is `main`. */
  static create(): TestGitRepo {
    const repo = new TestGitRepo(mkdtempSync(join(tmpdir(), 'plumbline-git-')));
    repo.git(['init', '--quiet', '--initial-branch=main']);
    return repo;
  }

  /** Runs git in the repository and returns stdout as bytes. */
  gitBytes(args: string[]): Buffer {
    return execFileSync('git', args, {
      cwd: this.dir,
      env: { ...process.env, ...GIT_ENV },
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Runs git in the repository and returns stdout as text. */
  git(args: string[]): string {
    return this.gitBytes(args).toString('utf8');
  }

  /** Runs git; `undefined` instead of throwing when git fails (an unknown ref, say). */
  tryGit(args: string[]): string | undefined {
    try {
      return this.git(args);
    } catch {
      return undefined;
    }
  }

  /**
   * Commits `files` on top of the current state of `branch` (created from the current HEAD
   * when new) and returns the commit sha.
   */
  commit(files: CommitFiles, message = 'change', branch = 'main'): string {
    const exists = this.tryGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    const hasHead = this.tryGit(['rev-parse', '--verify', '--quiet', 'HEAD']);
    // -B with --force also refreshes the work tree when the branch was moved by setBranch.
    if (exists) this.git(['checkout', '--quiet', '--force', '-B', branch, `refs/heads/${branch}`]);
    else if (hasHead) this.git(['checkout', '--quiet', '-b', branch]);
    else this.git(['checkout', '--quiet', '--orphan', branch]);
    for (const [path, content] of Object.entries(files)) {
      const target = join(this.dir, path);
      rmSync(target, { force: true, recursive: true });
      if (content === null) continue;
      mkdirSync(dirname(target), { recursive: true });
      if (typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, target);
      else writeFileSync(target, content);
    }
    this.git(['add', '--all']);
    this.git(['commit', '--quiet', '--allow-empty', '--no-gpg-sign', '-m', message]);
    return this.head(branch);
  }

  /** The sha at the head of `branch`. */
  head(branch = 'main'): string {
    return this.git(['rev-parse', `refs/heads/${branch}`]).trim();
  }

  /** Merges `head` into `base` with a merge commit (as GitHub's merge button) and returns it. */
  merge(head: string, base = 'main', message = `Merge ${head}`): string {
    this.git(['checkout', '--quiet', '--force', '-B', base, `refs/heads/${base}`]);
    this.git(['merge', '--quiet', '--no-ff', '--no-gpg-sign', '-m', message, `refs/heads/${head}`]);
    return this.head(base);
  }

  /**
   * The commits of a push from `before` to `after`, oldest first, with their file lists as
   * GitHub's push payload gives them (each against its first parent; a rename is a removal
   * and an addition).
   */
  pushedCommits(before: string, after: string): PushedCommit[] {
    const range = /^0{40}$/.test(before) ? [after] : [`${before}..${after}`];
    const shas = this.git(['rev-list', '--reverse', ...range])
      .split('\n')
      .filter((line) => line !== '');
    return shas.map((id) => {
      const parent = this.tryGit(['rev-parse', '--verify', '--quiet', `${id}^1`])?.trim();
      const diff = parent
        ? this.git(['diff', '--name-status', '--no-renames', parent, id])
        : this.git(['diff-tree', '-r', '--root', '--no-commit-id', '--name-status', id]);
      const commit: PushedCommit = { id, added: [], modified: [], removed: [] };
      for (const line of diff.split('\n')) {
        const [status, path] = line.split('\t');
        if (!status || path === undefined) continue;
        if (status === 'A') commit.added.push(path);
        else if (status === 'D') commit.removed.push(path);
        else commit.modified.push(path);
      }
      return commit;
    });
  }

  /** Points `branch` at `sha` (a force push). */
  setBranch(branch: string, sha: string): void {
    this.git(['update-ref', `refs/heads/${branch}`, sha]);
  }

  /** Deletes the directory. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
