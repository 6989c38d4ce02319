/**
 * The GitHub API test server: a stateful stand-in for api.github.com (and codeload), backed
 * by real git repositories the test creates and commits to. No real GitHub can run here, so
 * this server is contract-checked against GitHub's OpenAPI description
 * (`test/tools/github-server/contract.test.ts`).
 *
 * It grows by adding routes to `createGitHubApp`; it records every request so tests can count
 * calls (one tarball per commit, say).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Context } from 'hono';
import { Hono } from 'hono';
import {
  blobJson,
  branchJson,
  commitJson,
  comparisonJson,
  contentJson,
  lsTreeEntry,
  type RepoLocation,
  resolveCommit,
  treeJson,
} from './git-objects.ts';
import type { TestGitRepo } from './git-repo.ts';

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/repos/acme/deploy/tarball/<sha>`. */
  path: string;
  /** The query string without `?` (`''` when none). */
  query: string;
  /** Whether an `Authorization` header was sent (its value is never recorded). */
  authorized: boolean;
}

/** How the server is set up. */
export interface GitHubServerOptions {
  /** Served repositories by `owner/name`. More can be added later with `addRepo`. */
  repos?: Record<string, TestGitRepo>;
  /** When set, API requests must carry `Authorization: token|Bearer <token>`, else 401. */
  token?: string;
}

/** A running test server. */
export interface GitHubServer {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` (give it to Octokit as `baseUrl`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Serves another repository. */
  addRepo(fullName: string, git: TestGitRepo): void;
  /** Requests whose method and path match (`path` may be a RegExp). */
  count(method: string, path: string | RegExp): number;
  /** Stops listening. */
  close(): Promise<void>;
}

/** The state routes read: repositories and the server's own URL. */
interface ServerState {
  repos: Map<string, TestGitRepo>;
  baseUrl: string;
  token: string | undefined;
  requests: RecordedRequest[];
}

function notFound(c: Context): Response {
  return c.json(
    {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    },
    404,
  );
}

/** The Hono app of the server; exported so contract tests can also call it in-process. */
export function createGitHubApp(state: ServerState): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const authorization = c.req.header('authorization');
    state.requests.push({
      method: c.req.method,
      path: decodeURIComponent(url.pathname),
      query: url.search.slice(1),
      authorized: authorization !== undefined,
    });
    if (state.token !== undefined && url.pathname.startsWith('/repos/')) {
      const given = authorization?.replace(/^(token|bearer)\s+/i, '');
      if (given !== state.token) {
        return c.json(
          {
            message: 'Bad credentials',
            documentation_url: 'https://docs.github.com/rest',
            status: '401',
          },
          401,
        );
      }
    }
    await next();
  });

  /** The repository and its location, or undefined (the route answers 404). */
  const repoOf = (c: Context): { git: TestGitRepo; loc: RepoLocation } | undefined => {
    const owner = c.req.param('owner') as string;
    const repo = c.req.param('repo') as string;
    const git = state.repos.get(`${owner}/${repo}`);
    return git ? { git, loc: { baseUrl: state.baseUrl, owner, repo } } : undefined;
  };

  app.get('/repos/:owner/:repo/branches/:branch{.+}', (c) => {
    const found = repoOf(c);
    const branch = c.req.param('branch');
    const sha = found?.git
      .tryGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])
      ?.trim();
    if (!found || !sha)
      return c.json(
        {
          message: 'Branch not found',
          documentation_url: 'https://docs.github.com/rest',
          status: '404',
        },
        404,
      );
    return c.json(branchJson(found.git, found.loc, branch, sha));
  });

  app.get('/repos/:owner/:repo/commits/:ref{.+}', (c) => {
    const found = repoOf(c);
    const sha = found && resolveCommit(found.git, c.req.param('ref'));
    if (!found) return notFound(c);
    if (!sha) {
      return c.json(
        {
          message: `No commit found for SHA: ${c.req.param('ref')}`,
          documentation_url: 'https://docs.github.com/rest',
          status: '422',
        },
        422,
      );
    }
    return c.json(commitJson(found.git, found.loc, sha, true));
  });

  app.get('/repos/:owner/:repo/tarball/:ref{.+}', (c) => {
    const found = repoOf(c);
    const sha = found && resolveCommit(found.git, c.req.param('ref'));
    if (!found || !sha) return notFound(c);
    const { owner, repo } = found.loc;
    return c.redirect(`${state.baseUrl}/codeload/${owner}/${repo}/legacy.tar.gz/${sha}`, 302);
  });

  // codeload.github.com's archive endpoint, served here so redirects stay on one server.
  app.get('/codeload/:owner/:repo/legacy.tar.gz/:sha', (c) => {
    const found = repoOf(c);
    const sha = found && resolveCommit(found.git, c.req.param('sha'));
    if (!found || !sha) return c.text('404: Not Found', 404);
    const { owner, repo } = found.loc;
    const archive = found.git.gitBytes([
      'archive',
      '--format=tar.gz',
      `--prefix=${owner}-${repo}-${sha.slice(0, 7)}/`,
      sha,
    ]);
    return c.body(new Uint8Array(archive), 200, {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${owner}-${repo}-${sha.slice(0, 7)}.tar.gz`,
    });
  });

  app.get('/repos/:owner/:repo/compare/:basehead{.+}', (c) => {
    const found = repoOf(c);
    const [base, head, extra] = c.req.param('basehead').split('...');
    const baseSha = found && base !== undefined ? resolveCommit(found.git, base) : undefined;
    const headSha = found && head !== undefined ? resolveCommit(found.git, head) : undefined;
    if (!found || !baseSha || !headSha || extra !== undefined) return notFound(c);
    const json = comparisonJson(found.git, found.loc, baseSha, headSha);
    return c.json(json);
  });

  app.get('/repos/:owner/:repo/git/trees/:sha', (c) => {
    const found = repoOf(c);
    const tree = found?.git
      .tryGit(['rev-parse', '--verify', '--quiet', `${c.req.param('sha')}^{tree}`])
      ?.trim();
    if (!found || !tree) return notFound(c);
    const recursive = (c.req.query('recursive') ?? '') !== '';
    return c.json(treeJson(found.git, found.loc, tree, recursive));
  });

  app.get('/repos/:owner/:repo/git/blobs/:sha', (c) => {
    const found = repoOf(c);
    const sha = c.req.param('sha');
    const type = /^[0-9a-f]{40}$/.test(sha)
      ? found?.git.tryGit(['cat-file', '-t', sha])?.trim()
      : undefined;
    if (!found || type !== 'blob') return notFound(c);
    return c.json(blobJson(found.git, found.loc, sha));
  });

  app.get('/repos/:owner/:repo/contents/:path{.+}', (c) => {
    const found = repoOf(c);
    const commit = found && resolveCommit(found.git, c.req.query('ref') ?? 'main');
    const path = c.req.param('path');
    if (!found || !commit) return notFound(c);
    const accept = c.req.header('accept') ?? '';
    if (accept.includes('application/vnd.github.raw')) {
      // The raw media type answers with the file's bytes instead of JSON.
      const entry = lsTreeEntry(found.git, commit, path);
      if (entry?.type !== 'blob') return notFound(c);
      const bytes = found.git.gitBytes(['cat-file', 'blob', entry.sha]);
      return c.body(new Uint8Array(bytes), 200, { 'content-type': 'application/vnd.github.raw' });
    }
    const json = contentJson(found.git, found.loc, commit, path);
    return json === undefined ? notFound(c) : c.json(json);
  });

  app.notFound((c) => notFound(c));
  return app;
}

/** Starts the server on a free loopback port. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const state: ServerState = {
    repos: new Map(Object.entries(options.repos ?? {})),
    baseUrl: '',
    token: options.token,
    requests: [],
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
