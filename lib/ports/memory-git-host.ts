/**
 * `MemoryGitHost`: a `GitHost` over in-memory commits, for unit tests of code that reads
 * repositories (the webhook, the reconciler). Integration tests use the GitHub test server.
 */
import { GitHubError } from '../errors.ts';
import { MemoryFileTree } from '../source/file-tree.ts';
import type { ChangedFile, Comparison, GitHost, RepoRef } from './git-host.ts';
import { repoFullName } from './git-host.ts';

interface MemoryRepo {
  branches: Map<string, string>;
  commits: Map<string, MemoryFileTree>;
}

/** A `GitHost` whose repositories are built by the test with `commit`. */
export class MemoryGitHost implements GitHost {
  readonly #repos = new Map<string, MemoryRepo>();
  #counter = 0;
  /** Every call made, as `method owner/repo args`, so tests can count requests. */
  readonly calls: string[] = [];

  /** Commits `files` (the whole tree) to `branch` of `fullName`; returns the new sha. */
  commit(fullName: string, branch: string, files: Record<string, string>): string {
    let repo = this.#repos.get(fullName);
    if (!repo) {
      repo = { branches: new Map(), commits: new Map() };
      this.#repos.set(fullName, repo);
    }
    this.#counter += 1;
    const sha = this.#counter.toString(16).padStart(40, '0');
    repo.commits.set(sha, new MemoryFileTree(files, sha));
    repo.branches.set(branch, sha);
    return sha;
  }

  #repo(ref: RepoRef): MemoryRepo {
    const repo = this.#repos.get(repoFullName(ref));
    if (!repo) throw new GitHubError(`${repoFullName(ref)}: repository not found`, 404);
    return repo;
  }

  #tree(ref: RepoRef, sha: string): MemoryFileTree {
    const tree = this.#repo(ref).commits.get(sha);
    if (!tree) throw new GitHubError(`${repoFullName(ref)}: no commit ${sha}`, 404);
    return tree;
  }

  async branchHead(ref: RepoRef, branch: string): Promise<string> {
    this.calls.push(`branchHead ${repoFullName(ref)} ${branch}`);
    const sha = this.#repo(ref).branches.get(branch);
    if (!sha) throw new GitHubError(`${repoFullName(ref)}: no branch '${branch}'`, 404);
    return sha;
  }

  async treeAt(ref: RepoRef, sha: string): Promise<MemoryFileTree> {
    this.calls.push(`treeAt ${repoFullName(ref)} ${sha}`);
    return this.#tree(ref, sha);
  }

  async readFile(ref: RepoRef, sha: string, path: string): Promise<Uint8Array | undefined> {
    this.calls.push(`readFile ${repoFullName(ref)} ${sha} ${path}`);
    const tree = this.#tree(ref, sha);
    return (await tree.stat(path))?.kind === 'file' ? tree.read(path) : undefined;
  }

  async compare(ref: RepoRef, base: string, head: string): Promise<Comparison> {
    this.calls.push(`compare ${repoFullName(ref)} ${base}...${head}`);
    const before = this.#tree(ref, base);
    const after = this.#tree(ref, head);
    const files: ChangedFile[] = [];
    const paths = new Set([...before.paths(), ...after.paths()]);
    for (const path of [...paths].sort()) {
      const old = (await before.stat(path)) ? await before.read(path) : undefined;
      const now = (await after.stat(path)) ? await after.read(path) : undefined;
      if (!old && now) files.push({ path, status: 'added' });
      else if (old && !now) files.push({ path, status: 'removed' });
      else if (old && now && !sameBytes(old, now)) files.push({ path, status: 'modified' });
    }
    return { base, head, files, truncated: false };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}
