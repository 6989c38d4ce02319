/**
 * Issue 3's end-to-end path: a signed `push` webhook reaches the Node runtime, which re-reads
 * the branch head from the GitHub test server (backed by a real git repository), renders the
 * app and server-side applies it to the real kube-apiserver.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NodeRuntime } from '../../functions/node.ts';
import { MemoryLogger } from '../../lib/ports/logger.ts';
import { type AdminRequest, adminClient, uniqueName } from '../env/admin.ts';
import { type RepoRuntime, startRepoRuntime } from '../env/repo-runtime.ts';
import type { TestGitRepo } from '../github-server/git-repo.ts';
import { pushDelivery, type WebhookDelivery } from '../github-server/webhook-delivery.ts';
import { webAppManifests } from './web-app.ts';

const secret = 'e2e-webhook-secret';
const repo = 'acme/deploy';

describe('a signed push webhook deploys a directory of manifests', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('e2e-push');
  const logger = new MemoryLogger();
  let git: TestGitRepo;
  let runtime: NodeRuntime;
  let started: RepoRuntime | undefined;
  let admin: AdminRequest;

  const plumblineYaml = [
    'apps:',
    '  - name: web',
    '    path: apps/web',
    '    target: test',
    `    namespace: ${namespace}`,
    '',
  ].join('\n');

  const manifests = (color: string, replicas: number) =>
    webAppManifests(namespace, color, replicas);

  async function deliver(delivery: WebhookDelivery): Promise<Response> {
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    await runtime.queue.idle();
    return response;
  }

  async function configMap() {
    return admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`);
  }

  beforeAll(async () => {
    admin = adminClient(cluster);
    started = await startRepoRuntime({
      cluster,
      repo,
      webhookSecret: secret,
      githubToken: 'gh-test-token',
      tokenSecret: 'test-cluster',
      scope: { repositories: [repo], namespaces: [namespace], clusterResources: false },
      logger,
    });
    ({ git, runtime } = started);
  });

  afterAll(async () => {
    await started?.close();
  });

  let first: string;
  let second: string;

  it('creates the objects of the first commit', async () => {
    const before = '0'.repeat(40); // the branch is created by this push
    first = git.commit({ 'plumbline.yaml': plumblineYaml, ...manifests('blue', 1) }, 'first');
    const response = await deliver(
      await pushDelivery({ secret, repo, branch: 'main', before, after: first }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'accepted', apps: ['web'] });

    const read = await configMap();
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ color: 'blue' });
    const deployment = await admin('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
    expect(deployment.status).toBe(200);
    const metadata = read.body.metadata as {
      labels: Record<string, string>;
      managedFields: { manager: string }[];
    };
    expect(metadata.managedFields.map((f) => f.manager)).toContain('plumbline');
    expect(metadata.labels['applyset.kubernetes.io/part-of']).toMatch(/^applyset-.+-v1$/);

    const parent = await admin('GET', `/api/v1/namespaces/${namespace}/secrets/web`);
    const annotations = (parent.body.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(annotations['plumbline.dev/revision']).toBe(first);
    expect(logger.find('reconciled')).toHaveLength(1);
  });

  it('updates a field changed by the next commit', async () => {
    second = git.commit(manifests('green', 2), 'second');
    const response = await deliver(
      await pushDelivery({ secret, repo, branch: 'main', before: first, after: second }),
    );
    expect(response.status).toBe(202);
    expect((await configMap()).body.data).toEqual({ color: 'green' });
    const deployment = await admin('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
    expect((deployment.body.spec as { replicas: number }).replicas).toBe(2);
  });

  it('changes nothing when the same delivery is replayed', async () => {
    const before = (await configMap()).body.metadata as { resourceVersion: string };
    const replay = await pushDelivery({
      secret,
      repo,
      branch: 'main',
      before: first,
      after: second,
      deliveryId: 'replayed-delivery',
    });
    const applied = logger.find('reconciled').length;
    expect((await deliver(replay)).status).toBe(202);
    expect((await deliver(replay)).status).toBe(202);
    const after = (await configMap()).body.metadata as { resourceVersion: string };
    expect(after.resourceVersion).toBe(before.resourceVersion);
    // The recorded digest equals the head's: no apply at all, one GET of the parent each.
    expect(logger.find('reconciled')).toHaveLength(applied);
    expect(logger.find('reconcile skipped').map((e) => e.fields.reason)).toEqual([
      'unchanged: the applied digest equals the head’s',
      'unchanged: the applied digest equals the head’s',
    ]);
  });

  it('changes nothing for a push to a branch no app tracks', async () => {
    const rv = ((await configMap()).body.metadata as { resourceVersion: string }).resourceVersion;
    const feature = git.commit(manifests('red', 3), 'feature work', 'feature');
    const response = await deliver(
      await pushDelivery({ secret, repo, branch: 'feature', before: second, after: feature }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'ignored' });
    const read = await configMap();
    expect(read.body.data).toEqual({ color: 'green' });
    expect((read.body.metadata as { resourceVersion: string }).resourceVersion).toBe(rv);
  });

  it('refuses an unsigned delivery and deploys nothing', async () => {
    const delivery = await pushDelivery({
      secret: 'wrong',
      repo,
      branch: 'main',
      before: first,
      after: second,
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(401);
  });
});
