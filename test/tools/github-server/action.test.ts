/**
 * The GitHub Action's built entry point run as the runner runs it, against the GitHub test
 * server: what needs no cluster (bad inputs, events it does not act on, a pull request that
 * does not render, a fork pull request). Plans and deploys against a real API server:
 * `test/e2e/github-action.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_MARKER } from '../../../lib/report/markdown.ts';
import { type BuiltAction, buildAction } from '../../env/action-process.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../../github-server/webhook-delivery.ts';

const TOKEN = 'ghs_action_test_token';
const repo = 'acme/action';
let action: BuiltAction;
let git: TestGitRepo;
let github: GitHubServer;
let main: string;

const plumblineYaml = `apps:
  - name: web
    path: apps/web
    target: staging
    namespace: web
`;

beforeAll(async () => {
  action = await buildAction();
  git = TestGitRepo.create();
  main = git.commit({
    'plumbline.yaml': plumblineYaml,
    'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
  });
  github = await startGitHubServer({ repos: { [repo]: git }, token: TOKEN });
}, 120_000);

afterAll(async () => {
  await github?.close();
  git?.remove();
  action?.remove();
});

/** The payload of a delivery (the event file holds the same JSON as the webhook body). */
async function pullRequestEvent(options: Parameters<typeof pullRequestDelivery>[3]) {
  return (await pullRequestDelivery('unused', repo, 'opened', options)).body;
}

/** The operator's binding of target staging (nothing listens there: these runs never apply). */
const targets = JSON.stringify([
  {
    kind: 'kubernetes',
    name: 'staging',
    server: 'https://127.0.0.1:9',
    credentials: { token: { secret: 'staging-token' } },
    repositories: [repo],
    namespaces: ['web'],
  },
]);

function run(
  event: string,
  payload: string | object,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
) {
  return action.run({
    event,
    payload,
    repository: repo,
    apiUrl: github.url,
    inputs,
    env: { PLUMBLINE_TARGETS: targets, PLUMBLINE_SECRET_STAGING_TOKEN: 'cluster-token', ...env },
  });
}

describe('the GitHub Action (process, GitHub test server)', () => {
  it('refuses a missing input by its name, changing nothing', async () => {
    const requests = github.requests.length;
    const noCommand = await run('push', {}, { 'github-token': TOKEN });
    expect(noCommand.code).toBe(2);
    expect(noCommand.stdout).toMatch(/^::error::plumbline: input 'command' is required/m);
    const noToken = await run('push', {}, { command: 'apply' });
    expect(noToken.code).toBe(2);
    expect(noToken.stdout).toContain("input 'github-token' is required");
    const wrong = await run('push', {}, { command: 'deploy', 'github-token': TOKEN });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain("input 'command': 'deploy' is not one of plan, apply, sweep");
    expect(github.requests.length).toBe(requests);
  });

  it('refuses a command on an event it does not run on', async () => {
    const push = (
      await pushDelivery({ secret: 'unused', repo, branch: 'main', before: main, after: main })
    ).body;
    const result = await run('push', push, { command: 'plan', 'github-token': TOKEN });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'plan runs on pull_request or pull_request_target events, and this workflow runs on push',
    );
  });

  it('does nothing for a push to a tag, and says so', async () => {
    const push = (
      await pushDelivery({
        secret: 'unused',
        repo,
        branch: 'refs/tags/v1',
        before: '0'.repeat(40),
        after: main,
      })
    ).body;
    const result = await run('push', push, { command: 'apply', 'github-token': TOKEN });
    expect(result.stdout).toContain('plumbline: nothing to apply: refs/tags/v1 is not a branch');
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({ result: 'success', apps: '[]' });
    expect(github.records(repo).deployments).toEqual([]);
  });

  it('fails the check and the step of a pull request that does not render, with an annotation', async () => {
    const broken = git.commit(
      { 'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n' },
      'broken',
      'broken',
    );
    github.openPullRequest(repo, { number: 7, headRef: 'broken' });
    const result = await run(
      'pull_request',
      await pullRequestEvent({ number: 7, headSha: broken }),
      {
        command: 'plan',
        'github-token': TOKEN,
      },
    );
    expect(result.code).toBe(1);
    const run7 = github.records(repo).checkRuns.at(-1);
    expect(run7).toMatchObject({ name: 'plumbline/plan', headSha: broken, conclusion: 'failure' });
    expect(run7?.annotations[0]).toMatchObject({ path: 'apps/web/cm.yaml' });
    const comment = github.records(repo).comments.find((c) => c.number === 7);
    expect(comment?.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(comment?.body).toContain('render failed');
    expect(result.outputs.result).toBe('failure');
    expect(JSON.parse(result.outputs.apps ?? '[]')).toEqual([
      expect.objectContaining({ app: 'web', status: 'failed' }),
    ]);
    // The job summary shows the same plan as the comment.
    expect(result.summary).toContain('render failed');
    expect(result.stdout).toMatch(/^::error title=plumbline plan::web: failed/m);
  });

  it('leaves a fork pull request unplanned, as the server does', async () => {
    const fork = git.commit({ 'apps/web/x.yaml': 'kind: ConfigMap\n' }, 'fork', 'fork-branch');
    github.openPullRequest(repo, { number: 8, headRef: 'fork-branch', headRepo: 'mallory/action' });
    const result = await run(
      'pull_request',
      await pullRequestEvent({ number: 8, headSha: fork, headRepo: 'mallory/action' }),
      { command: 'plan', 'github-token': TOKEN },
    );
    expect(result.code).toBe(0);
    expect(github.records(repo).checkRuns.at(-1)).toMatchObject({
      headSha: fork,
      conclusion: 'neutral',
    });
    expect(github.records(repo).comments.find((c) => c.number === 8)?.body).toContain(
      'Not planned: this pull request comes from the fork mallory/action',
    );
    expect(JSON.parse(result.outputs.apps ?? '[]')).toEqual([
      expect.objectContaining({ app: '#8', status: 'not-planned' }),
    ]);
  });

  it('deploys only its own repository, whatever the settings list', async () => {
    const result = await run(
      'push',
      {},
      { command: 'apply', 'github-token': TOKEN },
      { PLUMBLINE_REPOSITORIES: 'acme/other' },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      `the runtime settings list repositories, and ${repo}, where this workflow runs, is not among them`,
    );
  });

  it('names a missing permission when GitHub refuses the token', async () => {
    const result = await run('pull_request', await pullRequestEvent({ number: 7 }), {
      command: 'plan',
      'github-token': 'ghs_not_the_token',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error');
    expect(result.stdout).not.toContain('ghs_not_the_token');
  });
});
