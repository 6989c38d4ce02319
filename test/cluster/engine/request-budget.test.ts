/**
 * Regression guard for what a push and a sweep cost in requests (issue 18: the benchmarks
 * measure these at 200 and 1,000 apps; this is the small, fast version `npm test` runs).
 * Counts are deterministic, so they are asserted; wall times are not. Ten apps of three objects
 * of two kinds (ConfigMap, ServiceAccount) are served by the Node runtime with the GitHub test
 * server, every cluster request counted around the transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { silentLogger } from '../../../lib/ports/logger.ts';
import { testTargetBinding } from '../../env/target-config.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pushDelivery } from '../../github-server/webhook-delivery.ts';
import { adminKube, cluster, freshNamespace } from './cluster.ts';

const secret = 'budget-secret';
const repo = 'acme/budget';
const APPS = 10;
/** Kinds per app: ConfigMap and ServiceAccount. */
const KINDS = 2;
const ZERO = '0'.repeat(40);

interface Seen {
  method: string;
  path: string;
}

let git: TestGitRepo;
let github: GitHubServer;
let runtime: NodeRuntime;
let namespace: string;
let head: string;
const seen: Seen[] = [];

function appFiles(i: number, revision: number): Record<string, string> {
  const name = `app-${i}`;
  const configMap = (n: number) =>
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      `  name: ${name}-cm-${n}`,
      'data:',
      `  revision: "${revision}"`,
      '',
    ].join('\n');
  return {
    [`apps/${name}/cm-0.yaml`]: configMap(0),
    [`apps/${name}/cm-1.yaml`]: configMap(1),
    [`apps/${name}/sa.yaml`]: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}-sa\n`,
  };
}

async function push(before: string, after: string): Promise<void> {
  // The file lists GitHub would put in the payload: they narrow the fan-out.
  const commits = git.pushedCommits(before, after);
  const delivery = await pushDelivery({ secret, repo, branch: 'main', before, after, commits });
  const response = await fetch(`${runtime.url}/webhooks/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  expect(response.status).toBe(202);
  await response.arrayBuffer();
  await runtime.queue.idle();
}

/** Discovery: the group lists and each group version's resources. */
const isDiscovery = (r: Seen) =>
  r.method === 'GET' &&
  /^\/(api|api\/v1|apis|apis\/[^/]+\/[^/]+)$/.test(r.path.split('?')[0] ?? '');

/** Which app a cluster request is about, from the object names and the ApplySet parent. */
function appOf(r: Seen): string | undefined {
  return /\/(?:plumbline-)?(app-\d+)(?:-cm-\d+|-sa)?(?:[/?]|$)/.exec(r.path)?.[1];
}

function githubRoute(method: string, path: string): string {
  return `${method} ${path
    .split('?')[0]
    ?.replace(/[0-9a-f]{40}/g, '{sha}')
    .replace(/\/\d+(\/|$)/g, '/{n}$1')}`;
}

beforeAll(async () => {
  namespace = await freshNamespace(adminKube().client, 'budget');
  git = TestGitRepo.create();
  github = await startGitHubServer({ repos: { [repo]: git }, token: 'gh-budget' });
  runtime = await startNodeRuntime({
    settings: {
      ...DEFAULT_SETTINGS,
      port: 0,
      webhookSecrets: [secret],
      repositories: [{ fullName: repo }],
      targets: [testTargetBinding(cluster, 'test', 'budget-token')],
      githubApiUrl: github.url,
      githubToken: 'gh-budget',
      secrets: { 'budget-token': cluster.admin.token },
    },
    runJob: nodeReconciler({
      wrapTransport: (inner) => (input, init) => {
        const request = new Request(input, init);
        const url = new URL(request.url);
        seen.push({ method: request.method, path: `${url.pathname}${url.search}` });
        return inner(input, init);
      },
    }),
    logger: silentLogger,
  });
  const config = [
    'apps:',
    ...Array.from({ length: APPS }, (_, i) => [
      `  - name: app-${i}`,
      `    path: apps/app-${i}`,
      '    target: test',
      `    namespace: ${namespace}`,
    ]).flat(),
    '',
  ].join('\n');
  const files: Record<string, string> = { 'plumbline.yaml': config };
  for (let i = 0; i < APPS; i++) Object.assign(files, appFiles(i, 0));
  head = git.commit(files, 'ten apps');
  await push(ZERO, head);
  const applied = await adminKube().client.list({ group: '', kind: 'ConfigMap' }, { namespace });
  expect(applied.items.filter((o) => o.metadata.name?.startsWith('app-'))).toHaveLength(APPS * 2);
}, 180_000);

afterAll(async () => {
  await runtime?.close();
  await github?.close();
  git?.remove();
});

describe('requests per push and per sweep (regression guard)', () => {
  it('a push touching one app of ten: no cluster and no GitHub request for the other nine, a fixed GitHub cost for the one', async () => {
    const touched = 'app-3';
    const before = head;
    head = git.commit(appFiles(3, 1), 'one app');
    const githubFrom = github.requests.length;
    const clusterFrom = seen.length;
    const statusesFrom = github.records(repo).statuses.length;
    const deploymentsFrom = github.records(repo).deployments.length;
    await push(before, head);

    // The webhook read the payload's file lists and enqueued one job: nothing about the others.
    const cluster = seen.slice(clusterFrom);
    expect(cluster.filter((r) => appOf(r) !== undefined && appOf(r) !== touched)).toEqual([]);
    expect(
      cluster.filter((r) => r.method === 'PATCH' && appOf(r) === touched).length,
    ).toBeGreaterThanOrEqual(2);
    const records = github.records(repo);
    expect(records.deployments.slice(deploymentsFrom).map((d) => d.environment)).toEqual([touched]);
    expect(new Set(records.statuses.slice(statusesFrom).map((s) => s.context))).toEqual(
      new Set([`plumbline/${touched}`]),
    );

    const gh = github.requests.slice(githubFrom).map((r) => githubRoute(r.method, r.path));
    const count = (route: string) => gh.filter((r) => r === route).length;
    // The webhook: default branch, head, plumbline.yaml (3). The job: default branch and head
    // again, unless the runtime shares the webhook's reads with it (DeliveryReads, on Node);
    // the tarball and its redirect (2); the plans shown for the commit: its statuses and its
    // pull requests (2); the Deployment and its two statuses, two commit statuses (5). The
    // benchmark prints each route (docs/benchmarks.md names the floor).
    expect(count(`GET /repos/${repo}/contents/plumbline.yaml`)).toBe(1);
    expect(count(`GET /repos/${repo}/tarball/{sha}`)).toBe(1);
    expect(count(`POST /repos/${repo}/deployments`)).toBe(1);
    expect(gh.filter((r) => r.includes('/compare/'))).toEqual([]);
    expect(gh.length).toBeLessThanOrEqual(12);
  });

  it('a sweep with no drift: K+1 cluster reads per app, discovery once, no writes, a few GitHub reads per app', async () => {
    const githubFrom = github.requests.length;
    const clusterFrom = seen.length;
    expect(await runtime.sweep()).toBe(APPS);
    await runtime.queue.idle();

    const cluster = seen.slice(clusterFrom);
    expect(cluster.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(cluster.filter((r) => !isDiscovery(r)).length).toBeLessThanOrEqual(APPS * (KINDS + 1));
    expect(cluster.filter(isDiscovery).length).toBeLessThanOrEqual(4);
    const gh = github.requests.slice(githubFrom);
    expect(gh.filter((r) => r.method !== 'GET')).toEqual([]);
    // The trusted branch and its head once for the sweep; the open drift issues per app.
    const routes = gh.map((r) => githubRoute(r.method, r.path));
    expect(routes.filter((r) => r === `GET /repos/${repo}`).length).toBeLessThanOrEqual(2);
    expect(gh.length).toBeLessThanOrEqual(APPS + 4);
  });
});
