/**
 * The GitHub Action end to end: its built entry point run as the runner runs it (Actions
 * environment, event file, inputs), against the GitHub test server and the real API server.
 * A push deploys (Deployment and commit status, as the server records them), a pull request
 * gets the server's sticky comment and check run with nothing changed, a push that would prune
 * most of the app is refused by the same guard, and a sweep finds the app in sync.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PLAN_MARKER } from '../../lib/report/markdown.ts';
import { type BuiltAction, buildAction } from '../env/action-process.ts';
import { type AdminRequest, adminClient, uniqueName } from '../env/admin.ts';
import { testTargetSetting } from '../env/target-config.ts';
import { TestGitRepo } from '../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../github-server/webhook-delivery.ts';
import { webAppManifests } from './web-app.ts';

const repo = 'acme/action-e2e';
const TOKEN = 'ghs_action_e2e';
const ZERO = '0'.repeat(40);

describe('the GitHub Action against the real API server', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('e2e-action');
  let action: BuiltAction;
  let git: TestGitRepo;
  let github: GitHubServer;
  let admin: AdminRequest;
  let main: string;

  const plumblineYaml = [
    'apps:',
    '  - name: web',
    '    path: apps/web',
    '    target: test',
    `    namespace: ${namespace}`,
    '',
  ].join('\n');

  const records = () => github.records(repo);
  const color = async () =>
    (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).body.data;
  const resourceVersion = async () =>
    (
      (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).body.metadata as {
        resourceVersion: string;
      }
    ).resourceVersion;

  async function run(event: string, payload: string, command: string) {
    return action.run({
      event,
      payload,
      repository: repo,
      apiUrl: github.url,
      inputs: { command, 'github-token': TOKEN },
      env: {
        // The binding from a repository variable, its credential from a secret, as the
        // example workflow passes them.
        PLUMBLINE_TARGETS: JSON.stringify([testTargetSetting(cluster, 'test', 'test-cluster')]),
        PLUMBLINE_SECRET_TEST_CLUSTER: cluster.admin.token,
      },
    });
  }

  async function push(before: string, after: string) {
    const { body } = await pushDelivery({ secret: 'unused', repo, branch: 'main', before, after });
    return run('push', body, 'apply');
  }

  beforeAll(async () => {
    admin = adminClient(cluster);
    action = await buildAction();
    git = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [repo]: git }, token: TOKEN });
  }, 120_000);

  afterAll(async () => {
    await github?.close();
    git?.remove();
    action?.remove();
  });

  it('deploys a push and records the Deployment and the commit status', async () => {
    main = git.commit({
      'plumbline.yaml': plumblineYaml,
      ...webAppManifests(namespace, 'blue', 1),
    });
    const result = await push(ZERO, main);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await color()).toEqual({ color: 'blue' });
    expect(records().deployments.at(-1)).toMatchObject({ sha: main, environment: 'web' });
    expect(
      records()
        .deployments.at(-1)
        ?.statuses.map((s) => s.state),
    ).toEqual(['in_progress', 'success']);
    expect(records().statuses.at(-1)).toMatchObject({
      sha: main,
      context: 'plumbline/web',
      state: 'success',
    });
    expect(result.outputs.result).toBe('success');
    expect(JSON.parse(result.outputs.apps ?? '[]')).toEqual([
      expect.objectContaining({ app: 'web', status: 'applied' }),
    ]);
    expect(result.summary).toContain('| web | applied |');
    expect(result.stdout).not.toContain(cluster.admin.token);
  });

  it('plans a pull request in the sticky comment and check run, changing nothing', async () => {
    const before = await resourceVersion();
    const feature = git.commit(webAppManifests(namespace, 'green', 2), 'green', 'feature');
    github.openPullRequest(repo, { number: 1, headRef: 'feature' });
    const { body } = await pullRequestDelivery('unused', repo, 'opened', {
      number: 1,
      headSha: feature,
    });
    const result = await run('pull_request', body, 'plan');
    expect(result.code, result.stdout).toBe(0);
    const comments = records().comments.filter((c) => c.number === 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(comments[0]?.body).toContain('-  color: blue');
    expect(comments[0]?.body).toContain('+  color: green');
    expect(records().checkRuns.at(-1)).toMatchObject({
      name: 'plumbline/plan',
      headSha: feature,
      conclusion: 'success',
      title: '0 to create, 2 to update, 0 to delete',
    });
    expect(await resourceVersion()).toBe(before);
    expect(result.summary).toContain('+  color: green');

    // Run again (a synchronize): the same comment is updated in place.
    const again = await run('pull_request', body, 'plan');
    expect(again.code).toBe(0);
    expect(records().comments.filter((c) => c.number === 1)).toHaveLength(1);
  });

  it('refuses a push that would prune most of the app, deleting nothing', async () => {
    const deployments = records().deployments.length;
    const gutted = git.commit({ 'apps/web/app.yaml': null }, 'remove the app');
    const result = await push(main, gutted);
    expect(result.code).toBe(1);
    expect(result.outputs.result).toBe('failure');
    expect(result.stdout).toMatch(/^::error title=plumbline apply::web: failed/m);
    expect(await color()).toEqual({ color: 'blue' });
    expect(records().deployments).toHaveLength(deployments + 1);
    expect(records().deployments.at(-1)?.statuses.at(-1)?.state).toBe('failure');
    // Put the app back for the sweep below.
    git.setBranch('main', main);
  });

  it('sweeps on a schedule: retries the app whose last run failed, then finds it in sync', async () => {
    const schedule = JSON.stringify({ schedule: '*/30 * * * *' });
    // The refused push above left the failed marker: the sweep runs the head again.
    const retried = await run('schedule', schedule, 'sweep');
    expect(retried.code, retried.stdout).toBe(0);
    expect(JSON.parse(retried.outputs.apps ?? '[]')).toEqual([
      expect.objectContaining({ app: 'web', status: 'applied missed head' }),
    ]);
    const result = await run('schedule', schedule, 'sweep');
    expect(result.code, result.stdout).toBe(0);
    expect(JSON.parse(result.outputs.apps ?? '[]')).toEqual([
      expect.objectContaining({ app: 'web', status: 'in-sync' }),
    ]);
  });
});
