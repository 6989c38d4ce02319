/**
 * The reporting routes of the GitHub test server (pull requests, comments, check runs,
 * statuses, deployments, issues), driven through `OctokitGitHost` exactly as Plumbline calls
 * them, with every response checked against GitHub's OpenAPI description on the way.
 */
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubError } from '../../../lib/errors.ts';
import { OctokitGitHost } from '../../../lib/github/octokit-git-host.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import {
  checkResponse,
  gitHubOpenApi,
  type OpenApiDocument,
} from '../../github-server/openapi-contract.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

const TOKEN = 'ghs_reporting_token';
const ref = { owner: 'acme', repo: 'deploy' };
let git: TestGitRepo;
let server: GitHubServer;
let doc: OpenApiDocument;
let base: string;
let head: string;
/** Every response seen, with its contract check. */
const checked: { method: string; path: string; status: number; errors: string[] }[] = [];

/** A fetch that checks every JSON response against the description. */
const checkingFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const response = await fetch(request);
  const text = await response.clone().text();
  const body =
    text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  const path = new URL(request.url).pathname;
  const check = checkResponse(doc, request.method, path, response.status, body);
  checked.push({ method: request.method, path, status: response.status, errors: check.errors });
  return response;
};

function host() {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const octokit = new Octokit({
    auth: TOKEN,
    baseUrl: server.url,
    log: quiet,
    request: { fetch: checkingFetch, retries: 0 },
  });
  return new OctokitGitHost({ octokit });
}

beforeAll(async () => {
  doc = gitHubOpenApi();
  git = TestGitRepo.create();
  base = git.commit({ 'plumbline.yaml': 'apps: []\n' }, 'base');
  head = git.commit({ 'apps/web/a.yaml': 'a: 1\n' }, 'feature', 'feature');
  server = await startGitHubServer({ repos: { 'acme/deploy': git }, token: TOKEN });
  server.openPullRequest('acme/deploy', { number: 3, headRef: 'feature' });
  server.openPullRequest('acme/deploy', {
    number: 4,
    headRef: 'feature',
    headRepo: 'mallory/deploy',
  });
});

afterAll(async () => {
  await server?.close();
  git?.remove();
});

describe('GitHub test server: reporting routes, through OctokitGitHost', () => {
  it('reads a pull request, a fork one too', async () => {
    const gh = host();
    expect(await gh.pullRequest(ref, 3)).toEqual({
      number: 3,
      state: 'open',
      merged: false,
      headSha: head,
      headRef: 'feature',
      headRepo: 'acme/deploy',
      baseRef: 'main',
      baseSha: base,
    });
    expect((await gh.pullRequest(ref, 4)).headRepo).toBe('mallory/deploy');
    await expect(gh.pullRequest(ref, 99)).rejects.toMatchObject({
      name: 'GitHubError',
      status: 404,
    });
  });

  it('creates, lists and updates issue comments', async () => {
    const gh = host();
    const created = await gh.createIssueComment(ref, 3, '<!-- m -->\nfirst');
    await gh.createIssueComment(ref, 3, 'someone else');
    await gh.updateIssueComment(ref, created.id, '<!-- m -->\nsecond');
    const comments = await gh.listIssueComments(ref, 3);
    expect(comments.map((c) => c.body)).toEqual(['<!-- m -->\nsecond', 'someone else']);
    expect(await gh.listIssueComments(ref, 4)).toEqual([]);
  });

  it('refuses a comment over 65,536 characters (422)', async () => {
    const error = await host()
      .createIssueComment(ref, 3, 'x'.repeat(65_537))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect((error as GitHubError).status).toBe(422);
    expect((error as GitHubError).message).toBe(
      'acme/deploy: #3: cannot comment: GitHub answered 422',
    );
  });

  it('creates and completes a check run, appending annotations per request', async () => {
    const gh = host();
    const id = await gh.createCheckRun(ref, {
      name: 'plumbline/plan',
      headSha: head,
      status: 'in_progress',
      title: 'Planning',
      summary: 'planning',
    });
    const annotation = (line: number) => ({
      path: 'apps/web/a.yaml',
      startLine: line,
      endLine: line,
      level: 'failure' as const,
      message: `bad ${line}`,
    });
    await gh.updateCheckRun(ref, id, {
      status: 'completed',
      conclusion: 'failure',
      title: 'failed',
      summary: 'render failed',
      annotations: Array.from({ length: 50 }, (_, i) => annotation(i + 1)),
    });
    await gh.updateCheckRun(ref, id, {
      title: 'failed',
      summary: 'render failed',
      annotations: [annotation(51)],
    });
    const run = server.records('acme/deploy').checkRuns.find((r) => r.id === id);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'failed' });
    expect(run?.annotations).toHaveLength(51);
    expect(run?.annotations[0]).toMatchObject({
      path: 'apps/web/a.yaml',
      start_line: 1,
      annotation_level: 'failure',
    });
  });

  it('posts commit statuses and deployments with their statuses', async () => {
    const gh = host();
    await gh.createCommitStatus(ref, head, {
      state: 'success',
      context: 'plumbline/web',
      description: 'Applied',
    });
    const id = await gh.createDeployment(ref, {
      ref: head,
      environment: 'web',
      description: 'deploy web',
    });
    await gh.createDeploymentStatus(ref, id, 'in_progress', 'Deploying');
    await gh.createDeploymentStatus(ref, id, 'success', 'x'.repeat(200));
    const records = server.records('acme/deploy');
    expect(records.statuses.at(-1)).toMatchObject({
      sha: head,
      state: 'success',
      context: 'plumbline/web',
    });
    const deployment = records.deployments.find((d) => d.id === id);
    expect(deployment).toMatchObject({ sha: head, environment: 'web' });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment?.statuses[1]?.description).toHaveLength(140);
  });

  it('creates, lists by label, updates and closes issues', async () => {
    const gh = host();
    const issue = await gh.createIssue(ref, {
      title: 'Drift: web',
      body: 'b',
      labels: ['plumbline-drift'],
    });
    await gh.createIssue(ref, { title: 'other', body: 'o', labels: ['bug'] });
    expect(issue.number).toBeGreaterThan(4);
    await gh.updateIssue(ref, issue.number, { body: 'b2', state: 'closed' });
    const listed = await gh.listIssues(ref, 'plumbline-drift');
    expect(listed).toEqual([
      {
        number: issue.number,
        title: 'Drift: web',
        body: 'b2',
        state: 'closed',
        labels: ['plumbline-drift'],
      },
    ]);
  });

  it('lists a commit’s statuses newest first, and the pull requests a merge brought', async () => {
    const gh = host();
    await gh.createCommitStatus(ref, head, {
      state: 'success',
      context: 'plumbline/plan/web',
      description: 'plan desired=a live=b',
    });
    await gh.createCommitStatus(ref, head, {
      state: 'failure',
      context: 'plumbline/plan/web',
      description: 'plan desired=c live=d',
      targetUrl: 'https://github.test/acme/deploy/pull/3#issuecomment-1',
    });
    const statuses = await gh.listCommitStatuses(ref, head);
    expect(statuses.slice(0, 2)).toEqual([
      {
        context: 'plumbline/plan/web',
        state: 'failure',
        description: 'plan desired=c live=d',
        targetUrl: 'https://github.test/acme/deploy/pull/3#issuecomment-1',
      },
      { context: 'plumbline/plan/web', state: 'success', description: 'plan desired=a live=b' },
    ]);
    expect(await gh.pullRequestsOfCommit(ref, base)).toEqual([]);
    const merge = server.mergePullRequest('acme/deploy', 3);
    expect(git.head('main')).toBe(merge);
    expect(await gh.pullRequestsOfCommit(ref, merge)).toEqual([
      { number: 3, headSha: head, merged: true },
    ]);
    expect(await gh.pullRequest(ref, 3)).toMatchObject({ state: 'closed', merged: true });
  });

  it('links a deployment status to a log URL', async () => {
    const gh = host();
    const id = await gh.createDeployment(ref, { ref: base, environment: 'web', description: 'd' });
    await gh.createDeploymentStatus(ref, id, 'queued', 'Held', {
      logUrl: 'https://github.test/acme/deploy/pull/3#issuecomment-9',
    });
    const deployment = server.records('acme/deploy').deployments.find((d) => d.id === id);
    expect(deployment?.statuses.at(-1)).toMatchObject({
      state: 'queued',
      logUrl: 'https://github.test/acme/deploy/pull/3#issuecomment-9',
    });
  });

  it('answers injected faults: a 503, then a secondary rate limit naming retry-after, as transient', async () => {
    const gh = host();
    server.injectFault({ path: /\/branches\//, status: 503, times: 1 });
    server.injectFault({ path: /\/branches\//, status: 403, retryAfterSeconds: 7, times: 1 });
    const unavailable = await gh.branchHead(ref, 'main').catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(GitHubError);
    expect(unavailable).toMatchObject({ status: 503, transient: true });
    const limited = await gh.branchHead(ref, 'main').catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 403, transient: true, retryAfterMs: 7_000 });
    expect((limited as GitHubError).message).toContain('rate limited by GitHub');
    expect(await gh.branchHead(ref, 'main')).toBe(git.head('main'));
    // A plain 403 (no retry-after, no exhausted limit) is not transient.
    server.injectFault({ path: /\/branches\//, status: 403, times: 1 });
    expect(await gh.branchHead(ref, 'main').catch((e: unknown) => e)).toMatchObject({
      status: 403,
      transient: false,
    });
  });

  it('answered every request as GitHub’s description says', () => {
    expect(checked.length).toBeGreaterThan(15);
    // Injected faults are not GitHub answers: they are left out of the contract check.
    expect(
      checked.filter((c) => c.errors.length > 0 && c.status < 500 && c.status !== 403),
    ).toEqual([]);
    const seen = new Set(checked.map((c) => `${c.method} ${c.status}`));
    for (const expected of ['GET 200', 'POST 201', 'PATCH 200', 'POST 422', 'GET 404']) {
      expect(seen).toContain(expected);
    }
  });
});
