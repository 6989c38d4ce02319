/**
 * Repository archives: `GET /repos/{o}/{r}/tarball/{ref}` redirects, as GitHub does, to a
 * codeload URL (served here too) answering with `git archive` output under GitHub's
 * `<owner>-<repo>-<sha7>/` prefix.
 */
import type { Hono } from 'hono';
import { resolveCommit } from '../git-objects.ts';
import { notFound, repoOf, type ServerState } from '../state.ts';

/** Registers the routes on `app`. */
export function registerArchiveRoutes(app: Hono, state: ServerState): void {
  app.get('/repos/:owner/:repo/tarball/:ref{.+}', (c) => {
    const found = repoOf(state, c);
    const sha = found && resolveCommit(found.git, c.req.param('ref'));
    if (!found || !sha) return notFound(c);
    const { owner, repo } = found.loc;
    return c.redirect(`${state.baseUrl}/codeload/${owner}/${repo}/legacy.tar.gz/${sha}`, 302);
  });

  // codeload.github.com's archive endpoint, served here so redirects stay on one server.
  app.get('/codeload/:owner/:repo/legacy.tar.gz/:sha', (c) => {
    const found = repoOf(state, c);
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
}
