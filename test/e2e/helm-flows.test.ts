/**
 * Issue 17's end-to-end path, against the real kube-apiserver, the GitHub test server and a
 * real chart repository: an overlay inflating a remote chart (its CRD applied in the CRD
 * stage, a post-install hook run as Argo CD runs it) is deployed on push; a pull request that
 * bumps the chart version (and its lock entry) is planned with the new chart's digest, and
 * deployed on merge; a bump without a lock entry fails its plan, naming the lock file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeReconciler } from '../../functions/node/reconciler.ts';
import type { NodeRuntime } from '../../functions/node.ts';
import { MemoryLogger } from '../../lib/ports/logger.ts';
import { formatChartLock } from '../../lib/render/helm-lock.ts';
import { type AdminRequest, adminClient, uniqueName } from '../env/admin.ts';
import { type ChartRepository, startChartRepository } from '../env/chart-servers.ts';
import { binary } from '../env/paths.ts';
import { type RepoRuntime, startRepoRuntime } from '../env/repo-runtime.ts';
import type { TestGitRepo } from '../github-server/git-repo.ts';
import type { GitHubServer } from '../github-server/server.ts';
import {
  pullRequestDelivery,
  pushDelivery,
  type WebhookDelivery,
} from '../github-server/webhook-delivery.ts';

const secret = 'e2e-helm-secret';
const repo = 'acme/charts';
const ZERO = '0'.repeat(40);

/** The chart at a version: a CRD in crds/, a Deployment, a custom resource and a hook. */
function chart(version: string, replicas: number): Record<string, string> {
  return {
    'Chart.yaml': `apiVersion: v2\nname: web\nversion: ${version}\nappVersion: "${version}"\n`,
    'values.yaml': `replicaCount: ${replicas}\nimage: nginx:1.25\n`,
    'crds/gadgets.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.e2e.plumbline.dev
spec:
  group: e2e.plumbline.dev
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`,
    'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}, chart: "{{ .Chart.Version }}"}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
`,
    'templates/gadget.yaml': `apiVersion: e2e.plumbline.dev/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}-gadget
spec:
  version: "{{ .Chart.Version }}"
`,
    'templates/notify.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-notify
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: notify
        image: busybox:1.36
`,
  };
}

describe('a Helm chart in an overlay, from push to pull request to merge', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('e2e-helm');
  const logger = new MemoryLogger();
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let started: RepoRuntime | undefined;
  let admin: AdminRequest;
  let charts: ChartRepository;
  let cache: string;
  const digests: Record<string, string> = {};

  const plumblineYaml = [
    'apps:',
    '  - name: web',
    '    path: apps/web/overlays/prod',
    '    target: test',
    `    namespace: ${namespace}`,
    '',
  ].join('\n');

  const overlay = (version: string) => ({
    'apps/web/overlays/prod/kustomization.yaml': `resources:
- ../../base
helmCharts:
- name: web
  repo: ${charts.url}
  version: ${version}
  releaseName: web
  includeCRDs: true
commonLabels:
  env: prod
`,
  });
  const lock = (...versions: string[]) => ({
    'plumbline.lock.yaml': formatChartLock(
      versions.map((v) => ({
        repo: charts.url,
        name: 'web',
        version: v,
        digest: digests[v] as string,
      })),
    ),
  });

  async function deliver(delivery: WebhookDelivery): Promise<Response> {
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    await runtime.queue.idle();
    return response;
  }
  const push = async (before: string, after: string) =>
    deliver(await pushDelivery({ secret, repo, branch: 'main', before, after }));
  const records = () => github.records(repo);
  const deployment = async () =>
    (await admin('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`)).body as {
      metadata: { labels: Record<string, string> };
      spec: { replicas: number };
    };

  beforeAll(async () => {
    admin = adminClient(cluster);
    charts = await startChartRepository();
    digests['1.0.0'] = charts.publish(chart('1.0.0', 1));
    digests['1.1.0'] = charts.publish(chart('1.1.0', 3));
    cache = mkdtempSync(join(tmpdir(), 'plumbline-e2e-charts-'));
    started = await startRepoRuntime({
      cluster,
      repo,
      webhookSecret: secret,
      githubToken: 'gh-helm-token',
      tokenSecret: 'test-cluster',
      // The chart brings a CRD and the app its Namespace: cluster objects are allowed here.
      scope: { repositories: [repo], namespaces: [namespace], clusterResources: true },
      runJob: nodeReconciler({
        // Charts render in the render sandbox, which builds helm support from these variables.
        helmEnv: {
          PLUMBLINE_HELM: binary('helm'),
          PLUMBLINE_CHART_CACHE_DIR: cache,
          PLUMBLINE_HELM_PLAIN_HTTP_HOSTS: '127.0.0.1',
        },
        health: { timeoutMs: 90_000 },
      }),
      logger,
    });
    ({ git, github, runtime } = started);
  });

  afterAll(async () => {
    await started?.close();
    await charts?.stop();
    if (cache) rmSync(cache, { recursive: true, force: true });
  });

  let main: string;

  it('deploys the chart on push: CRD first, then its objects, then the post-install hook', async () => {
    main = git.commit(
      {
        'plumbline.yaml': plumblineYaml,
        'apps/web/base/kustomization.yaml': 'resources:\n- namespace.yaml\n- settings.yaml\n',
        'apps/web/base/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
        'apps/web/base/settings.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  tier: web\n',
        ...overlay('1.0.0'),
        ...lock('1.0.0'),
      },
      'web 1.0.0',
    );
    expect((await push(ZERO, main)).status).toBe(202);
    const status = records().deployments.at(-1)?.statuses.at(-1);
    expect(status?.state, JSON.stringify(logger.entries.slice(-3))).toBe('success');
    expect(records().deployments.at(-1)?.description).toContain(
      `with web 1.0.0 (${digests['1.0.0']?.slice(0, 19)})`,
    );
    const live = await deployment();
    expect(live.spec.replicas).toBe(1);
    expect(live.metadata.labels).toMatchObject({ chart: '1.0.0', env: 'prod' });
    const gadget = await admin(
      'GET',
      `/apis/e2e.plumbline.dev/v1/namespaces/${namespace}/gadgets/web-gadget`,
    );
    expect(gadget.status).toBe(200);
    const hook = await admin('GET', `/apis/batch/v1/namespaces/${namespace}/jobs/web-notify`);
    expect(hook.status).toBe(200);
    expect(
      (hook.body.metadata as { labels?: Record<string, string> }).labels?.[
        'applyset.kubernetes.io/part-of'
      ],
    ).toBeUndefined();
  });

  it('plans a pull request bumping the chart version, showing the new digest', async () => {
    const feature = git.commit(
      { ...overlay('1.1.0'), ...lock('1.0.0', '1.1.0') },
      'web 1.1.0',
      'bump',
    );
    github.openPullRequest(repo, { number: 1, headRef: 'bump' });
    await deliver(
      await pullRequestDelivery(secret, repo, 'opened', { number: 1, headSha: feature }),
    );
    const body = records().comments.find((c) => c.number === 1)?.body ?? '';
    expect(body).toContain(`Helm charts: web 1.1.0 (${digests['1.1.0']?.slice(0, 19)})`);
    expect(body).toMatch(/-\s+replicas: 1\n\+\s+replicas: 3/);
    expect(records().checkRuns.at(-1)).toMatchObject({ headSha: feature, conclusion: 'success' });
    expect((await deployment()).spec.replicas).toBe(1); // a plan is a dry run

    git.setBranch('main', feature);
    expect((await push(main, feature)).status).toBe(202);
    main = feature;
    const live = await deployment();
    expect(live.spec.replicas).toBe(3);
    expect(live.metadata.labels).toMatchObject({ chart: '1.1.0' });
    expect(records().deployments.at(-1)).toMatchObject({ sha: feature });
    expect(records().deployments.at(-1)?.statuses.at(-1)?.state).toBe('success');
  });

  it('fails the plan of a bump whose chart the lock file does not record, naming it', async () => {
    digests['1.2.0'] = charts.publish(chart('1.2.0', 4));
    const unlocked = git.commit(overlay('1.2.0'), 'web 1.2.0 without a lock entry', 'unlocked');
    github.openPullRequest(repo, { number: 2, headRef: 'unlocked' });
    await deliver(
      await pullRequestDelivery(secret, repo, 'opened', { number: 2, headSha: unlocked }),
    );
    const body = records().comments.find((c) => c.number === 2)?.body ?? '';
    expect(body).toContain('plumbline.lock.yaml records no digest for this chart');
    expect(body).toContain('chart web 1.2.0');
    expect(records().checkRuns.at(-1)).toMatchObject({ headSha: unlocked, conclusion: 'failure' });
    expect((await deployment()).spec.replicas).toBe(3);
  });
});
