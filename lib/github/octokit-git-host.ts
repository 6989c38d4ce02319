/**
 * `GitHost` over GitHub's REST API through Octokit (fetch-based, so it runs on Workers and
 * Node alike). A repository at a commit comes from one tarball request, decompressed with
 * `DecompressionStream` and read by `tar-archive.ts`, and is cached by commit sha.
 */
import type { Octokit } from '@octokit/rest';
import { retryAfterMs } from '../core/backoff.ts';
import { ReadBoundExceeded, readBounded } from '../core/bounded-read.ts';
import { GitHubError, PlumblineError, SourceError } from '../errors.ts';
import type {
  ChangeStatus,
  CheckAnnotation,
  CheckRunInput,
  CommitInfo,
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
} from '../ports/git-host.ts';
import { repoFullName } from '../ports/git-host.ts';
import type { FileTree } from '../source/file-tree.ts';
import { treeFromArchive } from './archive-tree.ts';
import { LruCache } from './lru-cache.ts';
import { gunzip, readTar } from './tar-archive.ts';

/** GitHub lists at most this many files in a comparison. */
export const COMPARE_FILE_LIMIT = 300;

/** How an `OctokitGitHost` is built. */
export interface OctokitGitHostOptions {
  /** An authenticated Octokit (token, or a GitHub App installation). */
  octokit: Octokit;
  /** Bound on a repository's uncompressed archive (default 256 MiB). */
  maxArchiveBytes?: number;
  /** Trees kept in memory, by commit (default 8). */
  treeCacheSize?: number;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/** GitHub through Octokit. */
export class OctokitGitHost implements GitHost {
  readonly #octokit: Octokit;
  readonly #maxArchiveBytes: number;
  readonly #trees: LruCache<string, Promise<FileTree>>;
  /** Comparisons and single files by full shas: immutable, so every job of a push shares them. */
  readonly #comparisons = new LruCache<string, Promise<Comparison>>(32);
  readonly #files = new LruCache<string, Promise<Uint8Array | undefined>>(64);

  constructor(options: OctokitGitHostOptions) {
    this.#octokit = options.octokit;
    this.#maxArchiveBytes = options.maxArchiveBytes ?? 256 * 1024 * 1024;
    this.#trees = new LruCache(options.treeCacheSize ?? 8);
  }

  async defaultBranch(repo: RepoRef): Promise<string> {
    // Never cached: which branch is trusted must follow the repository's settings at once.
    try {
      const { data } = await this.#octokit.rest.repos.get({ ...repo });
      if (typeof data.default_branch !== 'string' || data.default_branch === '') {
        throw new GitHubError(`${repoFullName(repo)}: the repository has no default branch`, 502);
      }
      return data.default_branch;
    } catch (error) {
      throw asGitHubError(error, `${repoFullName(repo)}: cannot read the default branch`);
    }
  }

  async branchHead(repo: RepoRef, branch: string): Promise<string> {
    try {
      const { data } = await this.#octokit.rest.repos.getBranch({ ...repo, branch });
      return data.commit.sha;
    } catch (error) {
      throw asGitHubError(error, `${repoFullName(repo)}: cannot read branch '${branch}'`);
    }
  }

  async commitInfo(repo: RepoRef, sha: string): Promise<CommitInfo> {
    try {
      // One file per page: the history needs the commit, not its changes.
      const { data } = await this.#octokit.rest.repos.getCommit({ ...repo, ref: sha, per_page: 1 });
      const author = data.author?.login ?? data.commit.author?.name;
      const title = data.commit.message.split('\n', 1)[0];
      return {
        sha: data.sha,
        ...(author ? { author } : {}),
        ...(title ? { title } : {}),
        ...(data.html_url ? { url: data.html_url } : {}),
      };
    } catch (error) {
      throw asGitHubError(error, `${repoFullName(repo)}: cannot read commit ${sha.slice(0, 12)}`);
    }
  }

  treeAt(repo: RepoRef, sha: string): Promise<FileTree> {
    if (!FULL_SHA.test(sha)) {
      // A branch name would make the cache key mutable, and the result a moving target.
      return Promise.reject(
        new SourceError(`${repoFullName(repo)}: '${sha}' is not a full commit sha`),
      );
    }
    const key = `${repoFullName(repo)}@${sha}`;
    const cached = this.#trees.get(key);
    if (cached) return cached;
    const loading = this.#downloadTree(repo, sha);
    this.#trees.set(key, loading);
    loading.catch(() => this.#trees.delete(key));
    return loading;
  }

  async #downloadTree(repo: RepoRef, sha: string): Promise<FileTree> {
    const what = `${repoFullName(repo)}@${sha.slice(0, 7)}`;
    let body: unknown;
    try {
      // The redirect to codeload is followed by fetch; the body is streamed, not buffered.
      const response = await this.#octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
        ...repo,
        ref: sha,
        request: { parseSuccessResponseBody: false },
      });
      body = response.data;
    } catch (error) {
      throw asGitHubError(error, `${what}: cannot download the repository archive`);
    }
    if (!(body instanceof ReadableStream)) {
      throw new SourceError(`${what}: the archive response had no body`);
    }
    const archive = await gunzip(body as ReadableStream<Uint8Array>, this.#maxArchiveBytes, what);
    return treeFromArchive(readTar(archive, what), { revision: sha, stripComponents: 1, what });
  }

  readFile(repo: RepoRef, sha: string, path: string): Promise<Uint8Array | undefined> {
    if (!FULL_SHA.test(sha)) return this.#readFile(repo, sha, path);
    const key = `${repoFullName(repo)}@${sha}:${path}`;
    const known = this.#files.get(key);
    if (known) return known;
    const loading = this.#readFile(repo, sha, path);
    this.#files.set(key, loading);
    loading.catch(() => this.#files.delete(key));
    return loading;
  }

  async #readFile(repo: RepoRef, sha: string, path: string): Promise<Uint8Array | undefined> {
    const cached = this.#trees.get(`${repoFullName(repo)}@${sha}`);
    if (cached) {
      const tree = await cached;
      return (await tree.stat(path))?.kind === 'file' ? tree.read(path) : undefined;
    }
    const what = `${repoFullName(repo)}@${sha.slice(0, 7)}: ${path}`;
    let response: { data: unknown; headers: Record<string, unknown> };
    try {
      response = await this.#octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...repo,
        path,
        ref: sha,
        headers: { accept: 'application/vnd.github.raw+json' },
        request: { parseSuccessResponseBody: false },
      });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asGitHubError(error, `${what}: cannot read the file`);
    }
    // A directory is answered with a JSON listing whatever the media type asked for.
    if (String(response.headers['content-type'] ?? '').includes('json')) {
      await (response.data as ReadableStream | null)?.cancel();
      return undefined;
    }
    if (!(response.data instanceof ReadableStream)) return new Uint8Array();
    return readAll(response.data as ReadableStream<Uint8Array>, MAX_FILE_BYTES, what);
  }

  compare(repo: RepoRef, base: string, head: string): Promise<Comparison> {
    if (!FULL_SHA.test(base) || !FULL_SHA.test(head)) return this.#compare(repo, base, head);
    const key = `${repoFullName(repo)}@${base}...${head}`;
    const known = this.#comparisons.get(key);
    if (known) return known;
    const loading = this.#compare(repo, base, head);
    this.#comparisons.set(key, loading);
    loading.catch(() => this.#comparisons.delete(key));
    return loading;
  }

  async #compare(repo: RepoRef, base: string, head: string): Promise<Comparison> {
    try {
      const { data } = await this.#octokit.rest.repos.compareCommitsWithBasehead({
        ...repo,
        basehead: `${base}...${head}`,
      });
      const files = (data.files ?? []).map((file) => ({
        path: file.filename,
        status: file.status as ChangeStatus,
        ...(file.previous_filename ? { previousPath: file.previous_filename } : {}),
      }));
      // GitHub cuts the list at 300 without saying so; a full page may hide more.
      return { base, head, files, truncated: files.length >= COMPARE_FILE_LIMIT };
    } catch (error) {
      throw asGitHubError(error, `${repoFullName(repo)}: cannot compare ${base}...${head}`);
    }
  }

  async pullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo> {
    const { data } = await this.#call(`#${number}: cannot read the pull request`, repo, () =>
      this.#octokit.rest.pulls.get({ ...repo, pull_number: number }),
    );
    return {
      number: data.number,
      state: data.state === 'closed' ? 'closed' : 'open',
      merged: data.merged === true,
      headSha: data.head.sha,
      headRef: data.head.ref,
      headRepo: data.head.repo?.full_name ?? '',
      baseRef: data.base.ref,
      baseSha: data.base.sha,
    };
  }

  async listIssueComments(repo: RepoRef, number: number): Promise<IssueComment[]> {
    const comments = await this.#call(`#${number}: cannot list comments`, repo, () =>
      this.#octokit.paginate(this.#octokit.rest.issues.listComments, {
        ...repo,
        issue_number: number,
        per_page: 100,
      }),
    );
    return comments.map((c) => ({ id: c.id, body: c.body ?? '', url: c.html_url }));
  }

  async createIssueComment(repo: RepoRef, number: number, body: string): Promise<IssueComment> {
    const { data } = await this.#call(`#${number}: cannot comment`, repo, () =>
      this.#octokit.rest.issues.createComment({ ...repo, issue_number: number, body }),
    );
    return { id: data.id, body: data.body ?? '', url: data.html_url };
  }

  async updateIssueComment(repo: RepoRef, commentId: number, body: string): Promise<void> {
    await this.#call(`comment ${commentId}: cannot update`, repo, () =>
      this.#octokit.rest.issues.updateComment({ ...repo, comment_id: commentId, body }),
    );
  }

  async createCheckRun(repo: RepoRef, input: CheckRunInput): Promise<number> {
    const { data } = await this.#call(`check run ${input.name}: cannot create`, repo, () =>
      this.#octokit.rest.checks.create({
        ...repo,
        name: input.name,
        head_sha: input.headSha,
        status: input.status,
        ...(input.conclusion ? { conclusion: input.conclusion } : {}),
        output: checkOutput(input),
      }),
    );
    return data.id;
  }

  async updateCheckRun(repo: RepoRef, id: number, input: Partial<CheckRunInput>): Promise<void> {
    await this.#call(`check run ${id}: cannot update`, repo, () =>
      this.#octokit.rest.checks.update({
        ...repo,
        check_run_id: id,
        ...(input.status ? { status: input.status } : {}),
        ...(input.conclusion ? { conclusion: input.conclusion } : {}),
        ...(input.title !== undefined && input.summary !== undefined
          ? { output: checkOutput({ title: input.title, summary: input.summary, ...input }) }
          : {}),
      }),
    );
  }

  async createCommitStatus(repo: RepoRef, sha: string, input: CommitStatusInput): Promise<void> {
    await this.#call(`status ${input.context}: cannot create`, repo, () =>
      this.#octokit.rest.repos.createCommitStatus({
        ...repo,
        sha,
        state: input.state,
        context: input.context,
        description: input.description.slice(0, 140),
        ...(input.targetUrl ? { target_url: input.targetUrl } : {}),
      }),
    );
  }

  async listCommitStatuses(repo: RepoRef, sha: string): Promise<CommitStatusInfo[]> {
    // One page of 100 (newest first) holds the current status of every context that matters.
    const { data } = await this.#call(`${sha.slice(0, 7)}: cannot list statuses`, repo, () =>
      this.#octokit.rest.repos.listCommitStatusesForRef({ ...repo, ref: sha, per_page: 100 }),
    );
    return data.map((s) => ({
      context: s.context,
      state: s.state as CommitStatusInfo['state'],
      description: s.description ?? '',
      ...(s.target_url ? { targetUrl: s.target_url } : {}),
    }));
  }

  async pullRequestsOfCommit(repo: RepoRef, sha: string): Promise<CommitPullRequest[]> {
    const { data } = await this.#call(
      `${sha.slice(0, 7)}: cannot list its pull requests`,
      repo,
      () =>
        this.#octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sha }),
    );
    return data.map((p) => ({
      number: p.number,
      headSha: p.head.sha,
      merged: p.merged_at !== null,
    }));
  }

  async createDeployment(repo: RepoRef, input: DeploymentInput): Promise<number> {
    const { data } = await this.#call(`deployment ${input.environment}: cannot create`, repo, () =>
      this.#octokit.rest.repos.createDeployment({
        ...repo,
        ref: input.ref,
        environment: input.environment,
        description: input.description.slice(0, 140),
        auto_merge: false,
        // Plumbline reports its own status; GitHub's required contexts would block the record.
        required_contexts: [],
        transient_environment: false,
      }),
    );
    if (!('id' in data)) {
      throw new GitHubError(
        `${repoFullName(repo)}: deployment ${input.environment} was not created: ${data.message ?? ''}`,
        202,
      );
    }
    return data.id;
  }

  async createDeploymentStatus(
    repo: RepoRef,
    deploymentId: number,
    state: DeploymentState,
    description: string,
    options: { logUrl?: string } = {},
  ): Promise<void> {
    await this.#call(`deployment ${deploymentId}: cannot set status`, repo, () =>
      this.#octokit.rest.repos.createDeploymentStatus({
        ...repo,
        deployment_id: deploymentId,
        state,
        description: description.slice(0, 140),
        ...(options.logUrl ? { log_url: options.logUrl } : {}),
      }),
    );
  }

  async listIssues(repo: RepoRef, label: string): Promise<IssueInfo[]> {
    const issues = await this.#call(`issues labelled ${label}: cannot list`, repo, () =>
      this.#octokit.paginate(this.#octokit.rest.issues.listForRepo, {
        ...repo,
        labels: label,
        state: 'all',
        sort: 'created',
        direction: 'desc',
        per_page: 100,
      }),
    );
    return issues
      .filter((issue) => !issue.pull_request)
      .map((issue) => ({
        number: issue.number,
        title: issue.title,
        body: issue.body ?? '',
        state: issue.state === 'closed' ? 'closed' : 'open',
        labels: issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
      }));
  }

  async createIssue(repo: RepoRef, input: IssueInput): Promise<IssueInfo> {
    const { data } = await this.#call(`issue '${input.title}': cannot create`, repo, () =>
      this.#octokit.rest.issues.create({ ...repo, ...input }),
    );
    return {
      number: data.number,
      title: data.title,
      body: data.body ?? '',
      state: 'open',
      labels: input.labels,
    };
  }

  async updateIssue(
    repo: RepoRef,
    number: number,
    change: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void> {
    await this.#call(`issue #${number}: cannot update`, repo, () =>
      this.#octokit.rest.issues.update({ ...repo, issue_number: number, ...change }),
    );
  }

  /** Runs one request, wrapping its failure as a `GitHubError` naming the repository. */
  async #call<R>(what: string, repo: RepoRef, request: () => Promise<R>): Promise<R> {
    try {
      return await request();
    } catch (error) {
      throw asGitHubError(error, `${repoFullName(repo)}: ${what}`);
    }
  }
}

/** A check run's `output` in GitHub's shape (annotations: at most 50, the caller's duty). */
function checkOutput(input: Pick<CheckRunInput, 'title' | 'summary' | 'text' | 'annotations'>) {
  return {
    title: input.title,
    summary: input.summary.slice(0, 65_535),
    ...(input.text ? { text: input.text.slice(0, 65_535) } : {}),
    ...(input.annotations?.length
      ? { annotations: input.annotations.slice(0, 50).map(annotationJson) }
      : {}),
  };
}

function annotationJson(a: CheckAnnotation) {
  return {
    path: a.path,
    start_line: a.startLine,
    end_line: a.endLine,
    annotation_level: a.level,
    message: a.message,
    ...(a.title ? { title: a.title } : {}),
  };
}

/** Files read one at a time (configuration) are small; anything bigger is refused. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The bytes of a stream, refusing more than `maxBytes`. */
async function readAll(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  try {
    return await readBounded(stream, { maxBytes });
  } catch (error) {
    if (error instanceof ReadBoundExceeded) {
      throw new SourceError(`${what}: larger than ${maxBytes} bytes`);
    }
    throw error;
  }
}

function statusOf(error: unknown): number {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : 0;
}

/** Wraps an Octokit `RequestError` (or any failure) as a `GitHubError` naming the request. */
function asGitHubError(error: unknown, what: string): PlumblineError {
  if (error instanceof PlumblineError) return error;
  const status = statusOf(error);
  const reason =
    status === 404
      ? 'not found (or the token cannot see it)'
      : status === 401
        ? 'the GitHub token was refused'
        : status === 403
          ? 'forbidden or rate limited'
          : status === 0
            ? 'GitHub could not be reached'
            : `GitHub answered ${status}`;
  const limit = rateLimitOf(error, status);
  return new GitHubError(`${what}: ${limit ? 'rate limited by GitHub' : reason}`, status, {
    cause: error,
    ...(limit
      ? {
          rateLimited: true,
          ...(limit.retryAfterMs === undefined ? {} : { retryAfterMs: limit.retryAfterMs }),
        }
      : {}),
    ...(status === 401
      ? { hint: 'Check the GitHub token or App installation of this deployment.' }
      : limit
        ? { hint: 'GitHub asked to slow down; the job is retried after the time it asked for.' }
        : {}),
  });
}

/**
 * GitHub's rate limits (primary: `x-ratelimit-remaining: 0`; secondary: a 403 or 429 with
 * `retry-after`) mean "later", not "no": the job is retried after the time GitHub names.
 */
function rateLimitOf(error: unknown, status: number): { retryAfterMs?: number } | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const headers = ((error as { response?: { headers?: Record<string, string | undefined> } })
    .response?.headers ?? {}) as Record<string, string | undefined>;
  const asked = retryAfterMs(headers['retry-after']);
  if (asked !== undefined) return { retryAfterMs: asked };
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? { retryAfterMs: Math.max(0, reset * 1000 - Date.now()) } : {};
  }
  return status === 429 ? {} : undefined;
}
