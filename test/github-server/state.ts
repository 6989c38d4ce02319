/** What the GitHub test server's routes share: its repositories, URL and request log. */
import type { Context } from 'hono';
import type { RepoLocation } from './git-objects.ts';
import type { TestGitRepo } from './git-repo.ts';
import type { RepoRecords } from './records.ts';

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/repos/acme/deploy/tarball/<sha>`. */
  path: string;
  /** The query string without `?` (`''` when none). */
  query: string;
  /** Whether an `Authorization` header was sent (its value is never recorded). */
  authorized: boolean;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The injected fault that answered it, if one did. */
  fault?: number;
}

/** The server's state. */
export interface ServerState {
  repos: Map<string, TestGitRepo>;
  /** Default branches set by tests (`main` when not set). */
  defaultBranches: Map<string, string>;
  /** What was reported to each repository (pull requests, comments, checks, ...). */
  records: Map<string, RepoRecords>;
  /** The last id handed out (comments, check runs, statuses, deployments). */
  nextId: number;
  /** The GitHub App whose JWTs are accepted, when the test uses one. */
  app?: { appId: number; publicKeyPem: string; installationId: number };
  /** Installation tokens handed out, with the repositories each may reach. */
  installationTokens: Map<string, string[]>;
  /** Base URL, for the URLs inside responses. */
  baseUrl: string;
  token: string | undefined;
  requests: RecordedRequest[];
  /** Faults to answer with instead of serving (fault-injection tests). */
  faults: GitHubFault[];
}

/** A fault the server answers matching requests with, `times` times. */
export interface GitHubFault {
  method?: string;
  path: RegExp;
  /** `503` (GitHub unavailable), `403` + `retryAfterSeconds` (secondary rate limit), `429`... */
  status: number;
  /** Sent as `retry-after` (GitHub's secondary rate limits do). */
  retryAfterSeconds?: number;
  times: number;
  /** Matching requests served normally before the fault acts (default 0). */
  after?: number;
}

/** GitHub's error body (`basic-error`). */
export function errorJson(c: Context, status: 401 | 404 | 422, message: string): Response {
  return c.json(
    { message, documentation_url: 'https://docs.github.com/rest', status: String(status) },
    status,
  );
}

/** GitHub's 404. */
export function notFound(c: Context): Response {
  return errorJson(c, 404, 'Not Found');
}

/** The repository a route's `:owner/:repo` names, or `undefined` (answer 404). */
export function repoOf(
  state: ServerState,
  c: Context,
): { git: TestGitRepo; loc: RepoLocation } | undefined {
  const owner = c.req.param('owner') as string;
  const repo = c.req.param('repo') as string;
  const git = state.repos.get(`${owner}/${repo}`);
  return git ? { git, loc: { baseUrl: state.baseUrl, owner, repo } } : undefined;
}
