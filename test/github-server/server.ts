/**
 * The GitHub API test server: a stateful stand-in for api.github.com (and codeload), backed
 * by real git repositories the test creates and commits to. No real GitHub can run here, so
 * this server is contract-checked against GitHub's OpenAPI description
 * (`test/tools/github-server/contract.test.ts`).
 *
 * It grows by adding route modules under `routes/` (registered in `createGitHubApp`) and their
 * state to `ServerState`. It records every request so tests can count calls (one tarball per
 * commit, say).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { TestGitRepo } from './git-repo.ts';
import { emptyRecords, type PullRecord, type RepoRecords } from './records.ts';
import { registerAppAuthRoutes } from './routes/app-auth.ts';
import { expireManifestCodes, registerAppManifestRoutes } from './routes/app-manifests.ts';
import { registerArchiveRoutes } from './routes/archives.ts';
import { registerGitDataRoutes } from './routes/git-data.ts';
import { registerReportingRoutes } from './routes/reporting.ts';
import {
  errorJson,
  type GitHubFault,
  notFound,
  type RecordedRequest,
  type ServerState,
} from './state.ts';

export type { GitHubFault, RecordedRequest } from './state.ts';

/** How the server is set up. */
export interface GitHubServerOptions {
  /** Served repositories by `owner/name`. More can be added later with `addRepo`. */
  repos?: Record<string, TestGitRepo>;
  /** When set, API requests must carry `Authorization: token|Bearer <token>`, else 401. */
  token?: string;
  /**
   * A GitHub App: its JWTs mint installation tokens, which are accepted (within their
   * repositories) wherever `token` is.
   */
  app?: { appId: number; publicKeyPem: string; installationId: number };
}

/** A running test server. */
export interface GitHubServer {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` (give it to Octokit as `baseUrl`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Serves another repository. */
  addRepo(fullName: string, git: TestGitRepo): void;
  /** Makes `branch` the default branch of `fullName` (`main` until set). */
  setDefaultBranch(fullName: string, branch: string): void;
  /** What was reported to `fullName` (comments, check runs, statuses, deployments, issues). */
  records(fullName: string): RepoRecords;
  /**
   * Opens (or updates) a pull request of `fullName` from `headRef` into `baseRef` of its git
   * repository; shas are read from the branches unless given.
   */
  openPullRequest(
    fullName: string,
    pull: Partial<PullRecord> & { number: number; headRef: string },
  ): PullRecord;
  /**
   * Merges pull request `number` of `fullName` with a merge commit (its head into its base),
   * marks it merged and closed, and returns the merge commit's sha.
   */
  mergePullRequest(fullName: string, number: number): string;
  /** Answers the next `fault.times` matching requests with the fault instead. */
  injectFault(fault: GitHubFault): void;
  /** Makes every GitHub App manifest code issued so far expired. */
  expireManifestCodes(): void;
  /** Requests whose method and path match (`path` may be a RegExp). */
  count(method: string, path: string | RegExp): number;
  /** Stops listening. */
  close(): Promise<void>;
}

/** The Hono app of the server; exported so contract tests can also call it in-process. */
export function createGitHubApp(state: ServerState): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const authorization = c.req.header('authorization');
    const recorded: RecordedRequest = {
      method: c.req.method,
      path: decodeURIComponent(url.pathname),
      query: url.search.slice(1),
      authorized: authorization !== undefined,
      at: Date.now(),
    };
    state.requests.push(recorded);
    const fault = state.faults.find(
      (f) => f.times > 0 && (!f.method || f.method === c.req.method) && f.path.test(url.pathname),
    );
    if (fault && (fault.after ?? 0) > 0) {
      fault.after = (fault.after ?? 0) - 1;
    } else if (fault) {
      fault.times -= 1;
      recorded.fault = fault.status;
      const limited = fault.status === 403 || fault.status === 429;
      return c.json(
        {
          message: limited
            ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
            : 'Service unavailable',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
        fault.status as 403,
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    const appRoute = /^\/repos\/[^/]+\/[^/]+\/installation$/.test(url.pathname);
    if (state.token !== undefined && url.pathname.startsWith('/repos/') && !appRoute) {
      const given = authorization?.replace(/^(token|bearer)\s+/i, '');
      const scope = given === undefined ? undefined : state.installationTokens.get(given);
      const repo = url.pathname.split('/').slice(2, 4).join('/');
      if (given !== state.token && !scope?.includes(repo)) {
        return errorJson(c, 401, 'Bad credentials');
      }
    }
    await next();
  });

  // Reporting first: its `commits/{sha}/statuses` and `/pulls` would match `commits/{ref}`.
  registerReportingRoutes(app, state);
  registerGitDataRoutes(app, state);
  registerArchiveRoutes(app, state);
  registerAppAuthRoutes(app, state);
  registerAppManifestRoutes(app, state);

  app.notFound((c) => notFound(c));
  return app;
}

/** Starts the server on a free loopback port. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const state: ServerState = {
    repos: new Map(Object.entries(options.repos ?? {})),
    defaultBranches: new Map(),
    records: new Map(),
    nextId: 100,
    installationTokens: new Map(),
    ...(options.app ? { app: options.app } : {}),
    baseUrl: '',
    token: options.token,
    requests: [],
    faults: [],
  };
  const app = createGitHubApp(state);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: state.baseUrl,
    requests: state.requests,
    addRepo: (fullName, git) => state.repos.set(fullName, git),
    setDefaultBranch: (fullName, branch) => state.defaultBranches.set(fullName, branch),
    records: (fullName) => {
      let records = state.records.get(fullName);
      if (!records) {
        records = emptyRecords();
        state.records.set(fullName, records);
      }
      return records;
    },
    openPullRequest: (fullName, pull) => {
      const git = state.repos.get(fullName);
      if (!git) throw new Error(`${fullName} is not served`);
      let records = state.records.get(fullName);
      if (!records) {
        records = emptyRecords();
        state.records.set(fullName, records);
      }
      const baseRef = pull.baseRef ?? 'main';
      const record: PullRecord = {
        title: `Pull request ${pull.number}`,
        state: 'open',
        merged: false,
        headRepo: fullName,
        headSha: pull.headSha ?? git.head(pull.headRef),
        baseRef,
        baseSha: pull.baseSha ?? git.head(baseRef),
        ...pull,
      };
      records.pulls.set(pull.number, record);
      return record;
    },
    injectFault: (fault) => state.faults.push({ ...fault }),
    mergePullRequest: (fullName, number) => {
      const git = state.repos.get(fullName);
      const pull = state.records.get(fullName)?.pulls.get(number);
      if (!git || !pull) throw new Error(`${fullName}#${number} is not open here`);
      const sha = git.merge(pull.headRef, pull.baseRef, `Merge pull request #${number}`);
      Object.assign(pull, { state: 'closed', merged: true, mergeCommitSha: sha });
      return sha;
    },
    expireManifestCodes: () => expireManifestCodes(state),
    count: (method, path) =>
      state.requests.filter(
        (r) =>
          r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
      ).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections would hold close() open; end them.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
