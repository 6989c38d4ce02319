/**
 * `MemoryGitHost`: a `GitHost` over in-memory commits, for unit tests of code that reads
 * repositories (the webhook, the reconciler). Integration tests use the GitHub test server.
 */
import { GitHubError } from '../../lib/errors.ts';
import type {
  ChangedFile,
  CheckRunInput,
  CommitPullRequest,
  CommitStatusInfo,
  CommitStatusInput,
  Comparison,
  DeploymentInput,
  DeploymentState,
  GitHost,
  IssueComment,
  IssueInfo,
  IssueInput,
  PullRequestInfo,
  RepoRef,
} from '../../lib/ports/git-host.ts';
import { repoFullName } from '../../lib/ports/git-host.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';

interface MemoryRepo {
  defaultBranch: string;
  branches: Map<string, string>;
  commits: Map<string, MemoryFileTree>;
}

/** A `GitHost` whose repositories are built by the test with `commit`. */
export class MemoryGitHost implements GitHost {
  readonly #repos = new Map<string, MemoryRepo>();
  #counter = 0;
  /** Every call made, as `method owner/repo args`, so tests can count requests. */
  readonly calls: string[] = [];
  /** Pull requests by `owner/name#number` (set them with `openPullRequest`). */
  readonly pulls = new Map<string, PullRequestInfo>();
  /** Comments by `owner/name#number`. */
  readonly comments = new Map<string, IssueComment[]>();
  /** Check runs, in creation order, with their latest state and every annotation sent. */
  readonly checkRuns: (CheckRunInput & { id: number; repo: string })[] = [];
  /** Commit statuses in the order posted. */
  readonly statuses: (CommitStatusInput & { repo: string; sha: string })[] = [];
  /** Deployments, each with its statuses in order. */
  readonly deployments: (DeploymentInput & {
    id: number;
    repo: string;
    statuses: { state: DeploymentState; description: string; logUrl?: string }[];
  })[] = [];
  /** Issues by `owner/name`. */
  readonly issues = new Map<string, IssueInfo[]>();
  /** The pull requests of a commit, by `owner/name@sha` (set by tests). */
  readonly commitPulls = new Map<string, CommitPullRequest[]>();
  #ids = 0;

  /** Records a pull request the flows can read. */
  openPullRequest(fullName: string, pull: PullRequestInfo): void {
    this.pulls.set(`${fullName}#${pull.number}`, pull);
  }

  /** Commits `files` (the whole tree) to `branch` of `fullName`; returns the new sha. */
  commit(fullName: string, branch: string, files: Record<string, string>): string {
    let repo = this.#repos.get(fullName);
    if (!repo) {
      repo = { defaultBranch: 'main', branches: new Map(), commits: new Map() };
      this.#repos.set(fullName, repo);
    }
    this.#counter += 1;
    const sha = this.#counter.toString(16).padStart(40, '0');
    repo.commits.set(sha, new MemoryFileTree(files, sha));
    repo.branches.set(branch, sha);
    return sha;
  }

  /** The sha at the head of `branch` of `fullName` (for tests). */
  head(fullName: string, branch: string): string {
    const sha = this.#repos.get(fullName)?.branches.get(branch);
    if (!sha) throw new Error(`${fullName}: no branch ${branch}`);
    return sha;
  }

  /** Makes `branch` the default branch of `fullName` (`main` until set). */
  setDefaultBranch(fullName: string, branch: string): void {
    const repo = this.#repos.get(fullName);
    if (!repo) throw new Error(`${fullName} has no commits yet`);
    repo.defaultBranch = branch;
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

  async defaultBranch(ref: RepoRef): Promise<string> {
    this.calls.push(`defaultBranch ${repoFullName(ref)}`);
    return this.#repo(ref).defaultBranch;
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

  async pullRequest(ref: RepoRef, number: number): Promise<PullRequestInfo> {
    this.calls.push(`pullRequest ${repoFullName(ref)} ${number}`);
    const pull = this.pulls.get(`${repoFullName(ref)}#${number}`);
    if (!pull) throw new GitHubError(`${repoFullName(ref)}#${number}: no pull request`, 404);
    return pull;
  }

  async listIssueComments(ref: RepoRef, number: number): Promise<IssueComment[]> {
    this.calls.push(`listIssueComments ${repoFullName(ref)} ${number}`);
    return [...(this.comments.get(`${repoFullName(ref)}#${number}`) ?? [])];
  }

  async createIssueComment(ref: RepoRef, number: number, body: string): Promise<IssueComment> {
    this.calls.push(`createIssueComment ${repoFullName(ref)} ${number}`);
    const key = `${repoFullName(ref)}#${number}`;
    const id = ++this.#ids;
    const comment = {
      id,
      body,
      url: `https://github.test/${repoFullName(ref)}/pull/${number}#issuecomment-${id}`,
    };
    this.comments.set(key, [...(this.comments.get(key) ?? []), comment]);
    return comment;
  }

  async updateIssueComment(ref: RepoRef, commentId: number, body: string): Promise<void> {
    this.calls.push(`updateIssueComment ${repoFullName(ref)} ${commentId}`);
    for (const list of this.comments.values()) {
      const comment = list.find((c) => c.id === commentId);
      if (comment) {
        comment.body = body;
        return;
      }
    }
    throw new GitHubError(`${repoFullName(ref)}: no comment ${commentId}`, 404);
  }

  async createCheckRun(ref: RepoRef, input: CheckRunInput): Promise<number> {
    this.calls.push(`createCheckRun ${repoFullName(ref)} ${input.name}`);
    const id = ++this.#ids;
    this.checkRuns.push({
      ...input,
      annotations: [...(input.annotations ?? [])],
      id,
      repo: repoFullName(ref),
    });
    return id;
  }

  async updateCheckRun(ref: RepoRef, id: number, input: Partial<CheckRunInput>): Promise<void> {
    this.calls.push(`updateCheckRun ${repoFullName(ref)} ${id}`);
    const run = this.checkRuns.find((r) => r.id === id);
    if (!run) throw new GitHubError(`${repoFullName(ref)}: no check run ${id}`, 404);
    const annotations = [...(run.annotations ?? []), ...(input.annotations ?? [])];
    Object.assign(run, input, { annotations });
  }

  async createCommitStatus(ref: RepoRef, sha: string, input: CommitStatusInput): Promise<void> {
    this.calls.push(`createCommitStatus ${repoFullName(ref)} ${sha} ${input.context}`);
    this.statuses.push({ ...input, repo: repoFullName(ref), sha });
  }

  async listCommitStatuses(ref: RepoRef, sha: string): Promise<CommitStatusInfo[]> {
    this.calls.push(`listCommitStatuses ${repoFullName(ref)} ${sha}`);
    return this.statuses
      .filter((s) => s.repo === repoFullName(ref) && s.sha === sha)
      .map(({ repo: _repo, sha: _sha, ...status }) => status)
      .reverse();
  }

  async pullRequestsOfCommit(ref: RepoRef, sha: string): Promise<CommitPullRequest[]> {
    this.calls.push(`pullRequestsOfCommit ${repoFullName(ref)} ${sha}`);
    return [...(this.commitPulls.get(`${repoFullName(ref)}@${sha}`) ?? [])];
  }

  async createDeployment(ref: RepoRef, input: DeploymentInput): Promise<number> {
    this.calls.push(`createDeployment ${repoFullName(ref)} ${input.environment}`);
    const id = ++this.#ids;
    this.deployments.push({ ...input, id, repo: repoFullName(ref), statuses: [] });
    return id;
  }

  async createDeploymentStatus(
    ref: RepoRef,
    deploymentId: number,
    state: DeploymentState,
    description: string,
    options: { logUrl?: string } = {},
  ): Promise<void> {
    this.calls.push(`createDeploymentStatus ${repoFullName(ref)} ${deploymentId} ${state}`);
    const deployment = this.deployments.find((d) => d.id === deploymentId);
    if (!deployment)
      throw new GitHubError(`${repoFullName(ref)}: no deployment ${deploymentId}`, 404);
    deployment.statuses.push({
      state,
      description,
      ...(options.logUrl ? { logUrl: options.logUrl } : {}),
    });
  }

  async listIssues(ref: RepoRef, label: string): Promise<IssueInfo[]> {
    this.calls.push(`listIssues ${repoFullName(ref)} ${label}`);
    return (this.issues.get(repoFullName(ref)) ?? [])
      .filter((issue) => issue.labels.includes(label))
      .map((issue) => ({ ...issue }))
      .reverse();
  }

  async createIssue(ref: RepoRef, input: IssueInput): Promise<IssueInfo> {
    this.calls.push(`createIssue ${repoFullName(ref)}`);
    const list = this.issues.get(repoFullName(ref)) ?? [];
    const issue: IssueInfo = { number: ++this.#ids, state: 'open', ...input };
    list.push(issue);
    this.issues.set(repoFullName(ref), list);
    return { ...issue };
  }

  async updateIssue(
    ref: RepoRef,
    number: number,
    change: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void> {
    this.calls.push(`updateIssue ${repoFullName(ref)} ${number}`);
    const issue = this.issues.get(repoFullName(ref))?.find((i) => i.number === number);
    if (!issue) throw new GitHubError(`${repoFullName(ref)}#${number}: no issue`, 404);
    Object.assign(issue, change);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}
