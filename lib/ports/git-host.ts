/**
 * `GitHost`: GitHub, as Plumbline uses it: a `GitSource` (the head of a branch, the repository
 * at an exact commit, what changed between two commits) that also takes reports. GitHub
 * through Octokit in production (`lib/github/octokit-git-host.ts`); `test/doubles/memory-git-host.ts`
 * in unit tests. Repositories that are not on GitHub (a local path, any Git remote) are only a
 * `GitSource` (`lib/ports/git-source.ts`): their outcomes go to the logs and the history.
 *
 * The reporting half (pull requests, comments, check runs, statuses, deployments, issues) is
 * how outcomes reach users: every call there is idempotent or keyed by the caller (a hidden
 * marker, a label), so a job that runs twice leaves one comment and one issue.
 */
import type { GitSource, RepoRef } from './git-source.ts';

export type {
  ChangedFile,
  ChangeStatus,
  CommitInfo,
  Comparison,
  GitSource,
  RepoRef,
} from './git-source.ts';

/** A pull request as the plan flow needs it (re-read per job: level-triggered). */
export interface PullRequestInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  headRef: string;
  /** `owner/name` of the head repository (differs from the base one for forks). */
  headRepo: string;
  baseRef: string;
  baseSha: string;
}

/** A comment on an issue or pull request. */
export interface IssueComment {
  id: number;
  body: string;
  /** Where people read it (`html_url`), when the host says. */
  url?: string;
}

/** A commit status as read back. */
export interface CommitStatusInfo {
  context: string;
  state: CommitStatusInput['state'];
  description: string;
  targetUrl?: string;
}

/** A pull request a commit belongs to (merged into the branch, or open with it as head). */
export interface CommitPullRequest {
  number: number;
  headSha: string;
  merged: boolean;
}

/** An annotation of a check run, at a file and line of the head commit. */
export interface CheckAnnotation {
  path: string;
  startLine: number;
  endLine: number;
  level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

/** A check run's state and output; `annotations` at most 50 per request (GitHub's limit). */
export interface CheckRunInput {
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion?: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'action_required';
  title: string;
  /** At most 65,535 characters. */
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
}

/** A commit status (`context` is the key GitHub replaces by). */
export interface CommitStatusInput {
  state: 'pending' | 'success' | 'failure' | 'error';
  context: string;
  /** At most 140 characters. */
  description: string;
  targetUrl?: string;
}

/** A deployment of a commit to an environment. */
export interface DeploymentInput {
  /** The commit sha deployed. */
  ref: string;
  environment: string;
  description: string;
}

/** A deployment status (`description` at most 140 characters). */
export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error';

/** An issue as the drift flow needs it. */
export interface IssueInfo {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
}

/** Creating an issue. */
export interface IssueInput {
  title: string;
  body: string;
  labels: string[];
}

/** GitHub: a Git source that also takes reports. */
export interface GitHost extends GitSource {
  /** A pull request by number. Throws `GitHubError` (404) when there is none. */
  pullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo>;
  /** Every comment of an issue or pull request (all pages). */
  listIssueComments(repo: RepoRef, number: number): Promise<IssueComment[]>;
  createIssueComment(repo: RepoRef, number: number, body: string): Promise<IssueComment>;
  updateIssueComment(repo: RepoRef, commentId: number, body: string): Promise<void>;
  /** Creates a check run; returns its id. */
  createCheckRun(repo: RepoRef, input: CheckRunInput): Promise<number>;
  /** Updates a check run (more annotations are appended, as GitHub does). */
  updateCheckRun(repo: RepoRef, id: number, input: Partial<CheckRunInput>): Promise<void>;
  createCommitStatus(repo: RepoRef, sha: string, input: CommitStatusInput): Promise<void>;
  /** The statuses of a commit, newest first (the first of each context is its current one). */
  listCommitStatuses(repo: RepoRef, sha: string): Promise<CommitStatusInfo[]>;
  /** The pull requests that brought commit `sha` (GitHub: `commits/{sha}/pulls`). */
  pullRequestsOfCommit(repo: RepoRef, sha: string): Promise<CommitPullRequest[]>;
  /** Creates a deployment; returns its id. */
  createDeployment(repo: RepoRef, input: DeploymentInput): Promise<number>;
  createDeploymentStatus(
    repo: RepoRef,
    deploymentId: number,
    state: DeploymentState,
    description: string,
    options?: { logUrl?: string },
  ): Promise<void>;
  /** Issues (not pull requests) carrying `label`, open or closed, newest first. */
  listIssues(repo: RepoRef, label: string): Promise<IssueInfo[]>;
  createIssue(repo: RepoRef, input: IssueInput): Promise<IssueInfo>;
  updateIssue(
    repo: RepoRef,
    number: number,
    change: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void>;
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
