/**
 * The push path end to end, in-process (the Node runtime: webhook, queue, jobs), on a control
 * plane of its own and the GitHub test server (backed by a real git repository):
 *   1. latency from webhook receipt to the last object applied for a 20-object app, over pushes
 *      that each change every object (p50, p95);
 *   2. a push touching 1 app of 200: the GitHub requests (counted by the test server) and the
 *      cluster requests (counted around the cluster transport) it makes.
 * No GitOps reference tool runs here (Flux and Argo CD need a cluster of their own and a git
 * server), so these rows have targets, and the notes say what Flux would send.
 */
import { nodeReconciler } from '../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../functions/node/settings.ts';
import { startNodeRuntime } from '../../functions/node.ts';
import { silentLogger } from '../../lib/ports/logger.ts';
import { adminClient } from '../../test/env/admin.ts';
import { startControlPlane } from '../../test/env/control-plane.ts';
import { testTargetBinding } from '../../test/env/target-config.ts';
import { TestGitRepo } from '../../test/github-server/git-repo.ts';
import { startGitHubServer } from '../../test/github-server/server.ts';
import { pushDelivery } from '../../test/github-server/webhook-delivery.ts';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const SECRET = 'bench-secret';
const TOKEN = 'bench-token';
const ZERO = '0'.repeat(40);

/** One cluster request as the counting transport saw it. */
interface SeenRequest {
  method: string;
  path: string;
  at: number;
}

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function pushSuite(context: SuiteContext): Promise<Row[]> {
  const pushes = context.quick ? 5 : 20;
  const manyApps = context.quick ? 40 : 200;
  context.log('push: starting a control plane and the GitHub test server');
  const plane = await startControlPlane({ workloads: false });
  const { cluster } = plane;
  const git = TestGitRepo.create();
  const github = await startGitHubServer({ repos: { 'bench/deploy': git }, token: TOKEN });
  const seen: SeenRequest[] = [];
  const runtime = await startNodeRuntime({
    settings: {
      ...DEFAULT_SETTINGS,
      port: 0,
      webhookSecrets: [SECRET],
      repositories: [{ fullName: 'bench/deploy' }],
      targets: [testTargetBinding(cluster, 'bench', 'bench-cluster')],
      githubApiUrl: github.url,
      githubToken: TOKEN,
      secrets: { 'bench-cluster': cluster.admin.token },
    },
    runJob: nodeReconciler({
      wrapTransport: (inner) => async (input, init) => {
        const request = new Request(input, init);
        const response = await inner(input, init);
        const url = new URL(request.url);
        seen.push({
          method: request.method,
          path: `${url.pathname}${url.search}`,
          at: performance.now(),
        });
        return response;
      },
    }),
    logger: silentLogger,
  });
  const deliver = async (before: string, after: string) => {
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'bench/deploy',
      branch: 'main',
      before,
      after,
      // The file lists GitHub puts in the payload: they narrow the fan-out.
      ...(before === ZERO ? {} : { commits: git.pushedCommits(before, after) }),
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    await response.arrayBuffer();
  };
  const rows: Row[] = [];
  try {
    // 1. Latency for a 20-object app.
    context.log(`push: latency of a 20-object app over ${pushes} pushes`);
    const ns = 'bench-latency';
    const config = [
      'apps:',
      '  - name: latency',
      '    path: apps/latency',
      '    target: bench',
      `    namespace: ${ns}`,
      '',
    ].join('\n');
    const files = (round: number) => {
      const out: Record<string, string> = {
        'apps/latency/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
      };
      for (let i = 0; i < 19; i++)
        out[`apps/latency/cm-${i}.yaml`] = configMap(`cm-${i}`, `${round}`);
      return out;
    };
    let head = git.commit({ 'plumbline.yaml': config, ...files(0) }, 'initial');
    await deliver(ZERO, head);
    await runtime.queue.idle();
    const latencies: number[] = [];
    for (let round = 1; round <= pushes; round++) {
      const before = head;
      head = git.commit(files(round), `round ${round}`);
      const from = seen.length;
      const t0 = performance.now();
      await deliver(before, head);
      await runtime.queue.idle();
      const applies = seen
        .slice(from)
        .filter((r) => r.method === 'PATCH' && !r.path.includes('dryRun'));
      const last = applies.at(-1);
      if (!last || applies.length < 20)
        throw new Error(`round ${round}: expected 20+ applies, saw ${applies.length}`);
      latencies.push(last.at - t0);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    rows.push(
      {
        suite: 'push',
        case: `webhook to last object applied, 20-object app (${pushes} pushes)`,
        metric: 'p50',
        unit: 'ms',
        plumbline: p50,
        target: { text: '<= 1.5 s', met: p50 <= 1500 },
        note: 'in-process Node runtime; every object changes each push; no reference tool (Flux reacts to a webhook through its receiver, then fetches and applies)',
      },
      {
        suite: 'push',
        case: `webhook to last object applied, 20-object app (${pushes} pushes)`,
        metric: 'p95',
        unit: 'ms',
        plumbline: percentile(latencies, 95),
      },
    );

    // 2. A push touching 1 app of many.
    context.log(`push: one app of ${manyApps}`);
    const many = [
      'apps:',
      ...Array.from({ length: manyApps }, (_, i) => [
        `  - name: app-${i}`,
        `    path: apps/app-${i}`,
        '    target: bench',
        '    namespace: bench-many',
      ]).flat(),
      '',
    ].join('\n');
    const manyFiles: Record<string, string | null> = { 'plumbline.yaml': many };
    for (const name of Object.keys(files(0))) manyFiles[name] = null;
    for (let i = 0; i < manyApps; i++)
      manyFiles[`apps/app-${i}/cm.yaml`] = configMap(`cm-${i}`, '0');
    const created = await adminClient(cluster)('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench-many' },
    });
    if (created.status !== 201) throw new Error(`namespace bench-many: ${created.status}`);
    const before = head;
    head = git.commit(manyFiles, `${manyApps} apps`);
    const deployAll = performance.now();
    const githubAll = github.requests.length;
    const clusterAll = seen.length;
    await deliver(before, head);
    await runtime.queue.idle();
    const deployAllMs = performance.now() - deployAll;
    const touched = 137 % manyApps;
    const previous = head;
    head = git.commit(
      { [`apps/app-${touched}/cm.yaml`]: configMap(`cm-${touched}`, '1') },
      'one app',
    );
    const from = seen.length;
    const githubFrom = github.requests.length;
    const t0 = performance.now();
    await deliver(previous, head);
    await runtime.queue.idle();
    const oneAppMs = performance.now() - t0;
    const requests = seen.slice(from);
    const others = requests.filter((r) => {
      const names = r.path.match(/(?:secrets|configmaps|leases)\/(?:plumbline-)?(?:app|cm)-(\d+)/);
      return names !== null && Number(names[1]) !== touched;
    });
    const githubRequests = github.requests.slice(githubFrom);
    const byRoute = new Map<string, number>();
    for (const r of githubRequests) {
      const route = `${r.method} ${r.path.replace(/[0-9a-f]{40}/g, '{sha}').replace(/\/\d+(\/|$)/g, '/{n}$1')}`;
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    }
    const routes = [...byRoute]
      .sort((a, b) => b[1] - a[1])
      .map(([route, n]) => `${n}x ${route}`)
      .join(', ');
    // Requests about the other apps: every job reads its own app's tree and statuses, so any
    // deployment or status for another app, or a second tarball, means the fan-out was not
    // narrowed. The floor (docs/benchmarks.md): the webhook's trusted read (default branch,
    // head, plumbline.yaml; 2 with a trustedBranch set), the tree (tarball and its redirect),
    // the plans shown for the commit (its statuses, its pull requests), the Deployment with
    // two statuses and two commit statuses.
    const otherApps = githubRequests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/deployments'),
    ).length;
    const pushCase = `push touching 1 app of ${manyApps}`;
    rows.push(
      {
        suite: 'push',
        case: pushCase,
        metric: 'GitHub requests',
        unit: 'requests',
        plumbline: githubRequests.length,
        target: { text: '<= ~10', met: githubRequests.length <= 12 && otherApps <= 1 },
        note: `${otherApps} deployment(s) created; the other ${manyApps - 1} apps get no job (the payload's file lists narrow the fan-out); floor 11 (12 without a trustedBranch): trusted read 2-3, tree 2, shown plans 2, Deployment + 2 statuses + 2 commit statuses; by route: ${routes}. Flux would send a git fetch (2 requests) and a commit status per Kustomization it reports on`,
      },
      {
        suite: 'push',
        case: pushCase,
        metric: 'cluster requests',
        unit: 'requests',
        plumbline: requests.length,
        target: { text: 'none for other apps', met: others.length === 0 && requests.length > 0 },
        note: `${others.length} of them about other apps; wall ${oneAppMs.toFixed(0)} ms`,
      },
      {
        suite: 'push',
        case: `first push of ${manyApps} apps of 1 object`,
        metric: 'wall',
        unit: 'ms',
        plumbline: deployAllMs,
        note: `${github.requests.length - githubAll - (github.requests.length - githubFrom)} GitHub and ${from - clusterAll} cluster requests`,
      },
    );
  } finally {
    await runtime.close();
    await github.close();
    git.remove();
    await plane.stop();
  }
  return rows;
}

/** The push suite. */
export const push: Suite = {
  name: 'push',
  summary:
    'webhook-to-applied latency; GitHub and cluster requests of a push touching 1 app of 200',
  run: pushSuite,
};
