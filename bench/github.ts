/**
 * `npm run bench:github`: the push path end to end, on a control plane of its own and the
 * GitHub test server (backed by a real git repository):
 *   1. latency from webhook receipt to the last object applied, for a 20-object app, over
 *      20 pushes that each change every object (p50, p95);
 *   2. the cluster requests made by a push that touches 1 app of 200, counted by a counting
 *      fetch wrapped around the cluster transport.
 * Targets: p50 <= 1.5 s; requests only for the one app the push touched.
 */

import { nodeReconciler } from '../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../functions/node/settings.ts';
import { startNodeRuntime } from '../functions/node.ts';
import { silentLogger } from '../lib/ports/logger.ts';
import type { TestCluster } from '../test/env/control-plane.ts';
import { startControlPlane } from '../test/env/control-plane.ts';
import { testTargetBinding } from '../test/env/target-config.ts';
import { TestGitRepo } from '../test/github-server/git-repo.ts';
import { startGitHubServer } from '../test/github-server/server.ts';
import { pushDelivery } from '../test/github-server/webhook-delivery.ts';

const pushes = Number(process.env.BENCH_PUSHES ?? 20);
const manyApps = Number(process.env.BENCH_APPS ?? 200);
const SECRET = 'bench-secret';
const TOKEN = 'bench-token';
const ZERO = '0'.repeat(40);

/** One cluster request as the counting fetch saw it. */
interface SeenRequest {
  method: string;
  path: string;
  at: number;
}

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const started = Date.now();
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
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    await response.arrayBuffer();
  };

  try {
    // 1. Latency for a 20-object app.
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
      if (!last || applies.length < 20) {
        throw new Error(`round ${round}: expected 20+ applies, saw ${applies.length}`);
      }
      latencies.push(last.at - t0);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);

    // 2. Requests of a push that touches 1 app of 200.
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
    await admin(cluster, 'bench-many');
    const before = head;
    head = git.commit(manyFiles, 'two hundred apps');
    const deployAll = performance.now();
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
      const names = r.path.match(/(?:secrets|configmaps)\/(?:app|cm)-(\d+)/);
      return names !== null && Number(names[1]) !== touched;
    });
    const githubRequests = github.requests.length - githubFrom;

    const figures = {
      latencyApp: { objects: 20, pushes, p50Ms: Math.round(p50), p95Ms: Math.round(p95) },
      oneOfMany: {
        apps: manyApps,
        deployAllMs: Math.round(deployAllMs),
        pushMs: Math.round(oneAppMs),
        clusterRequests: requests.length,
        requestsForOtherApps: others.length,
        githubRequests,
        requests: requests.map((r) => `${r.method} ${r.path}`),
      },
      targets: {
        p50Under1500ms: p50 <= 1500,
        onlyTheTouchedApp: others.length === 0 && requests.length > 0,
      },
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (!figures.targets.p50Under1500ms || !figures.targets.onlyTheTouchedApp) process.exitCode = 1;
  } finally {
    await runtime.close();
    await github.close();
    git.remove();
    await plane.stop();
  }
}

/** Creates the shared namespace of the 200 apps up front (none of them owns it). */
async function admin(cluster: TestCluster, namespace: string): Promise<void> {
  const { adminClient } = await import('../test/env/admin.ts');
  const request = adminClient(cluster);
  const response = await request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  if (response.status !== 201 && response.status !== 409) {
    throw new Error(`cannot create namespace ${namespace}: ${response.status}`);
  }
}

await main();
