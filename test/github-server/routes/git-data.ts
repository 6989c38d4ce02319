/**
 * Git data and repository content: branches, commits, comparisons, trees, blobs, contents.
 * Answers are built from the real git repository by `git-objects.ts`.
 */
import type { Hono } from 'hono';
import {
  blobJson,
  branchJson,
  commitJson,
  comparisonJson,
  contentJson,
  lsTreeEntry,
  resolveCommit,
  treeJson,
} from '../git-objects.ts';
import { fullRepositoryJson } from '../records.ts';
import { errorJson, notFound, repoOf, type ServerState } from '../state.ts';

/** Registers the routes on `app`. */
export function registerGitDataRoutes(app: Hono, state: ServerState): void {
  app.get('/repos/:owner/:repo', (c) => {
    const found = repoOf(state, c);
    if (!found) return notFound(c);
    const fullName = `${found.loc.owner}/${found.loc.repo}`;
    const branch = state.defaultBranches.get(fullName) ?? 'main';
    return c.json(fullRepositoryJson(state.baseUrl, fullName, branch));
  });

  app.get('/repos/:owner/:repo/branches/:branch{.+}', (c) => {
    const found = repoOf(state, c);
    const branch = c.req.param('branch');
    const sha = found?.git
      .tryGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])
      ?.trim();
    if (!found || !sha) return errorJson(c, 404, 'Branch not found');
    return c.json(branchJson(found.git, found.loc, branch, sha));
  });

  app.get('/repos/:owner/:repo/commits/:ref{.+}', (c) => {
    const found = repoOf(state, c);
    const sha = found && resolveCommit(found.git, c.req.param('ref'));
    if (!found) return notFound(c);
    if (!sha) {
      return errorJson(c, 422, `No commit found for SHA: ${c.req.param('ref')}`);
    }
    return c.json(commitJson(found.git, found.loc, sha, true));
  });

  app.get('/repos/:owner/:repo/compare/:basehead{.+}', (c) => {
    const found = repoOf(state, c);
    const [base, head, extra] = c.req.param('basehead').split('...');
    const baseSha = found && base !== undefined ? resolveCommit(found.git, base) : undefined;
    const headSha = found && head !== undefined ? resolveCommit(found.git, head) : undefined;
    if (!found || !baseSha || !headSha || extra !== undefined) return notFound(c);
    const json = comparisonJson(found.git, found.loc, baseSha, headSha);
    return c.json(json);
  });

  app.get('/repos/:owner/:repo/git/trees/:sha', (c) => {
    const found = repoOf(state, c);
    const tree = found?.git
      .tryGit(['rev-parse', '--verify', '--quiet', `${c.req.param('sha')}^{tree}`])
      ?.trim();
    if (!found || !tree) return notFound(c);
    const recursive = (c.req.query('recursive') ?? '') !== '';
    return c.json(treeJson(found.git, found.loc, tree, recursive));
  });

  app.get('/repos/:owner/:repo/git/blobs/:sha', (c) => {
    const found = repoOf(state, c);
    const sha = c.req.param('sha');
    const type = /^[0-9a-f]{40}$/.test(sha)
      ? found?.git.tryGit(['cat-file', '-t', sha])?.trim()
      : undefined;
    if (!found || type !== 'blob') return notFound(c);
    return c.json(blobJson(found.git, found.loc, sha));
  });

  app.get('/repos/:owner/:repo/contents/:path{.+}', (c) => {
    const found = repoOf(state, c);
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
}
