/**
 * Issue 18: a push enqueues jobs only for the apps its files reach (the payload's file lists,
 * as GitHub sends them, built from the real git history). Two apps, one of which (`a`) builds
 * on the other's directory (`../b`): the documented gap. A push touching only `apps/b`
 * deploys `b`, `a`'s job warns that it reads `b`'s files, and the sweep brings `a` along; a
 * push touching a shared file reaches both.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeReconciler } from '../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../functions/node.ts';
import { MemoryLogger } from '../../lib/ports/logger.ts';
import { type AdminRequest, adminClient, uniqueName } from '../env/admin.ts';
import { testTargetBinding } from '../env/target-config.ts';
import { TestGitRepo } from '../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../github-server/server.ts';
import { pushDelivery } from '../github-server/webhook-delivery.ts';

const secret = 'e2e-fanout-secret';
const repo = 'acme/fanout';
const ZERO = '0'.repeat(40);

describe('a push reaches only the apps whose files it changed', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('e2e-fanout');
  const logger = new MemoryLogger();
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let admin: AdminRequest;
  let head = ZERO;

  const plumblineYaml = [
    'apps:',
    ...['a', 'b'].flatMap((name) => [
      `  - name: ${name}`,
      `    path: apps/${name}`,
      '    target: test',
      `    namespace: ${namespace}`,
    ]),
    '',
  ].join('\n');
  const configMap = (color: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: ${color}\n`;

  /** Commits `files`, delivers the push with GitHub's file lists, waits for the jobs. */
  async function push(files: Record<string, string>) {
    const before = head;
    head = git.commit(files, 'change');
    const delivery = await pushDelivery({
      secret,
      repo,
      branch: 'main',
      before,
      after: head,
      ...(before === ZERO ? {} : { commits: git.pushedCommits(before, head) }),
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as Record<string, unknown>;
    await runtime.queue.idle();
    return answer;
  }

  async function color(name: string): Promise<unknown> {
    const read = await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/${name}`);
    return (read.body.data as Record<string, unknown> | undefined)?.color;
  }

  beforeAll(async () => {
    admin = adminClient(cluster);
    git = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [repo]: git }, token: 'gh-fanout' });
    runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        webhookSecrets: [secret],
        repositories: [{ fullName: repo }],
        targets: [
          testTargetBinding(cluster, 'test', 'test-cluster', {
            repositories: [repo],
            namespaces: [namespace],
            clusterResources: false,
          }),
        ],
        githubApiUrl: github.url,
        githubToken: 'gh-fanout',
        secrets: { 'test-cluster': cluster.admin.token },
      },
      runJob: nodeReconciler(),
      logger,
    });
    const created = await admin('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await runtime?.close();
    await github?.close();
    git?.remove();
  });

  it('the first push (a new branch) reaches every app; a reads b’s files and says so', async () => {
    const answer = await push({
      'plumbline.yaml': plumblineYaml,
      'apps/b/kustomization.yaml': 'resources:\n  - settings.yaml\n',
      'apps/b/settings.yaml': configMap('blue'),
      'apps/a/kustomization.yaml': 'namePrefix: a-\nresources:\n  - ../b\n',
    });
    expect(answer).toMatchObject({ status: 'accepted', apps: ['a', 'b'] });
    expect(await color('settings')).toBe('blue');
    expect(await color('a-settings')).toBe('blue');
    const warning = logger.entries.find((e) => e.message.includes("another app's path"));
    expect(warning?.fields).toMatchObject({
      app: 'a',
      files: expect.arrayContaining(['apps/b/kustomization.yaml (b)']),
    });
  });

  it('a push touching only apps/b enqueues b alone; the sweep brings a along', async () => {
    const answer = await push({ 'apps/b/settings.yaml': configMap('green') });
    expect(answer).toEqual({
      status: 'accepted',
      apps: ['b'],
      untouched: 1,
      reason: '1 changed file under the paths of 1 app',
    });
    expect(await color('settings')).toBe('green');
    expect(await color('a-settings')).toBe('blue');
    expect(await runtime.sweep()).toBe(2);
    await runtime.queue.idle();
    expect(await color('a-settings')).toBe('green');
  });

  it('a push touching a file outside every app’s path reaches both', async () => {
    const answer = await push({ 'docs/notes.md': 'shared\n' });
    expect(answer).toMatchObject({
      status: 'accepted',
      apps: ['a', 'b'],
      reason: "docs/notes.md is outside every app's path",
    });
  });
});
