/**
 * `GitHost`: what Plumbline asks of the Git hosting service: the head of a branch, the
 * repository at an exact commit, and what changed between two commits. GitHub through Octokit
 * in production (`lib/github/octokit-git-host.ts`); `MemoryGitHost` in unit tests.
 *
 * Comments, check runs, statuses and deployments will join this port as the reporting stage
 * grows; they are kept out until something calls them.
 */
import type { FileTree } from '../source/file-tree.ts';

/** A repository on the Git host. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** How a file changed between two commits (GitHub's compare `files[].status`). */
export type ChangeStatus =
  | 'added'
  | 'removed'
  | 'modified'
  | 'renamed'
  | 'copied'
  | 'changed'
  | 'unchanged';

/** One file changed between two commits. */
export interface ChangedFile {
  /** Repository-relative path after the change. */
  path: string;
  status: ChangeStatus;
  /** The path before a rename or copy. */
  previousPath?: string;
}

/** What changed between `base` and `head`. */
export interface Comparison {
  base: string;
  head: string;
  /** Changed files; at most 300 when `truncated` (GitHub's limit). */
  files: ChangedFile[];
  /**
   * True when the host did not list every changed file. Callers must then treat every app as
   * affected: correctness never depends on an incomplete list.
   */
  truncated: boolean;
}

/** The Git host, as Plumbline uses it. */
export interface GitHost {
  /** The commit sha at the head of `branch`. Throws `GitHubError` (404) when it does not exist. */
  branchHead(repo: RepoRef, branch: string): Promise<string>;
  /** The whole repository at commit `sha` (a full 40-hex sha, never a branch name). */
  treeAt(repo: RepoRef, sha: string): Promise<FileTree>;
  /**
   * One file at commit `sha`, or `undefined` when there is no file at `path`. Much cheaper
   * than `treeAt` for one small file (the webhook reads `plumbline.yaml` this way).
   */
  readFile(repo: RepoRef, sha: string, path: string): Promise<Uint8Array | undefined>;
  /** The files changed from `base` to `head` (three-dot: since their merge base). */
  compare(repo: RepoRef, base: string, head: string): Promise<Comparison>;
}

/** `owner/name` of a repository. */
export function repoFullName(repo: RepoRef): string {
  return `${repo.owner}/${repo.repo}`;
}

/** Parses `owner/name`; `undefined` when it is not of that shape. */
export function parseRepoFullName(fullName: string): RepoRef | undefined {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(fullName);
  if (!match || match[2] === '.' || match[2] === '..') return undefined;
  return { owner: match[1] as string, repo: match[2] as string };
}
