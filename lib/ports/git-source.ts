/**
 * `GitSource`: reading a repository, whoever hosts it: the default branch, the head of a
 * branch, the repository at an exact commit, one file, and what changed between two commits.
 * GitHub is one (`GitHost` adds reporting to it); a local path or any Git remote, polled
 * without webhooks, is another (`functions/node/git-cli-source.ts`). Every flow reads through
 * this port; only GitHub repositories also get statuses, deployments, comments and issues.
 */
import type { FileTree } from '../source/file-tree.ts';

/** A repository, as `owner/name` (for a Git source, the name the operator gave it). */
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
   * True when the source did not list every changed file. Callers must then treat every app
   * as affected: correctness never depends on an incomplete list.
   */
  truncated: boolean;
}

/** Who made a commit and what it says, as the history shows it. */
export interface CommitInfo {
  sha: string;
  /** The author's login on the host, else the author's name in the commit. */
  author?: string;
  /** The first line of the message. */
  title?: string;
  /** The commit's page on the host. */
  url?: string;
}

/** Reading one repository. */
export interface GitSource {
  /**
   * The repository's default branch, as the source says now: the branch whose configuration
   * is trusted unless the operator names another. Throws `GitHubError` or `SourceError` when
   * it cannot be read.
   */
  defaultBranch(repo: RepoRef): Promise<string>;
  /** The commit sha at the head of `branch`. Throws (`GitHubError` 404, `SourceError`) when it does not exist. */
  branchHead(repo: RepoRef, branch: string): Promise<string>;
  /**
   * Author, title and page of commit `sha`, for the history. Optional: a source that cannot
   * say leaves records without them.
   */
  commitInfo?(repo: RepoRef, sha: string): Promise<CommitInfo>;
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

/** The heads of a repository's branches, read in one request (`git ls-remote`). */
export interface RemoteHeads {
  /** The branch `HEAD` points at, when the remote says. */
  defaultBranch?: string;
  /** Branch name -> commit sha. */
  branches: Map<string, string>;
}

/**
 * A source without webhooks: it is polled, and a poll is one cheap request for every branch
 * head (no clone or fetch when nothing changed).
 */
export interface PolledGitSource extends GitSource {
  /** Every branch head now. Throws `SourceError` when the repository cannot be reached. */
  heads(): Promise<RemoteHeads>;
  /** How the repository is named in messages: its path or URL, never a credential. */
  readonly location: string;
}

/**
 * A repository that is not on GitHub: a local path or a Git remote, polled for new commits
 * (no webhooks). Its outcomes go to the logs and the history, never to GitHub.
 */
export interface GitSourceSetting {
  /** An absolute path or a Git URL (`lib/config/git-remote.ts` says which are accepted). */
  url: string;
  /** How often every branch head is read (one `git ls-remote`). */
  pollIntervalSeconds: number;
  /** HTTP basic credentials for an https remote, the password held as a runtime secret. */
  httpAuth?: { username: string; passwordSecret: string };
  /**
   * The SSH key (a runtime secret) and the pinned host keys of an SSH remote; absent: the
   * SSH setup of the user Plumbline runs as (its keys, agent and known_hosts).
   */
  ssh?: { privateKeySecret: string; hostKeys: string[] };
}
