/**
 * `npm run bench:cluster`: Plumbline's cluster engine against kubectl of the same release, in
 * the same run, on the same objects, on a control plane of its own:
 *   1. plan of 500 objects vs `kubectl diff --server-side` (fresh, then after a 10% change);
 *   2. apply of the 500 objects vs `kubectl apply --server-side`;
 *   3. a no-drift sweep of 100 apps of 20 objects (3 group-kinds) vs `kubectl diff` per app.
 * Reports wall time and API requests (kubectl's counted from its -v=6 request log).
 * Targets: plan in at most a third of kubectl diff's time; a no-drift check in K+1 requests.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { nodeKubeFetch } from '../functions/node/kube-transport.ts';
import { applyPlan } from '../lib/apply/apply.ts';
import type { KubeObject } from '../lib/core/object.ts';
import { detectDrift } from '../lib/drift/drift.ts';
import { createKubeClient, type KubeClient } from '../lib/kube/client.ts';
import { planApp } from '../lib/plan/plan.ts';
import { startControlPlane } from '../test/env/control-plane.ts';
import { binary } from '../test/env/paths.ts';

const planObjects = Number(process.env.BENCH_OBJECTS ?? 500);
const sweepApps = Number(process.env.BENCH_APPS ?? 100);
const kubectlSweepApps = Number(process.env.BENCH_KUBECTL_APPS ?? sweepApps);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);

function objectsFor(count: number, change = ''): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const name = `obj-${i}`;
    const changed = change && i % 10 === 0 ? change : '';
    if (i % 5 < 3) {
      out.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { index: String(i), payload: `value-${i}${changed}` },
      });
    } else if (i % 5 === 3) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        // Headless: the test cluster's service range (/24) could not hold a ClusterIP each.
        spec: {
          clusterIP: 'None',
          selector: { app: name },
          ports: [{ port: 80, targetPort: changed ? 8081 : 8080 }],
        },
      });
    } else {
      out.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: `nginx:1.27${changed}` }] },
          },
        },
      });
    }
  }
  return out;
}

function withNamespace(objects: KubeObject[], namespace: string): KubeObject[] {
  return objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

function manifestFile(dir: string, name: string, objects: KubeObject[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, objects.map((o) => stringify(o)).join('---\n'));
  return path;
}

async function time<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

const main = async () => {
  const kubectlPath = binary('kubectl');
  console.log('starting a control plane…');
  const plane = await startControlPlane({ workloads: false });
  const { cluster } = plane;
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-bench-'));
  let requests = 0;
  const transport = nodeKubeFetch({
    server: cluster.server,
    caPem: cluster.caPem,
    certPem: cluster.admin.certPem,
    keyPem: cluster.admin.keyPem,
  });
  const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
    requests++;
    return transport(input, init);
  }) as typeof fetch;
  const client: KubeClient = createKubeClient({ server: cluster.server, fetch: counting });
  const counted = async <T>(run: () => Promise<T>) => {
    const before = requests;
    const result = await time(run);
    return { ...result, requests: requests - before };
  };
  const kubectl = (args: string[]) =>
    time(
      () =>
        new Promise<{ requests: number; code: number }>((resolve, reject) => {
          execFile(
            kubectlPath,
            ['--kubeconfig', cluster.kubeconfig, '-v=6', ...args],
            { maxBuffer: 1 << 28 },
            (error, _stdout, stderr) => {
              const code = error ? Number((error as { code?: number }).code ?? 2) : 0;
              if (code > 1)
                reject(
                  new Error(
                    `kubectl ${args.join(' ')} failed: ${stderr
                      .split('\n')
                      .filter((l) => !/ round_trippers| loader/.test(l))
                      .slice(-5)
                      .join('\n')}`,
                  ),
                );
              // -v=6 logs one line per API request: "<METHOD> https://… <status> in N milliseconds".
              else
                resolve({
                  requests: stderr
                    .split('\n')
                    .filter(
                      (l) =>
                        /"?(GET|PATCH|POST|PUT|DELETE)"? .*https:\/\//.test(l) ||
                        /Response.*verb="(GET|PATCH|POST|PUT|DELETE)"/.test(l),
                    ).length,
                  code,
                });
            },
          );
        }),
    );
  const rows: string[][] = [['case', 'tool', 'wall ms', 'API requests']];
  const row = (name: string, tool: string, ms: number, reqs: number) =>
    rows.push([name, tool, ms.toFixed(0), String(reqs)]);
  try {
    for (const ns of ['bench-kubectl', 'bench-plumbline'])
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.discover('', 'ConfigMap');
    const base = objectsFor(planObjects);
    const changed = objectsFor(planObjects, '-b');
    const kFile = manifestFile(dir, 'kubectl', withNamespace(base, 'bench-kubectl'));
    const kChanged = manifestFile(dir, 'kubectl-changed', withNamespace(changed, 'bench-kubectl'));
    const input = (objects: KubeObject[]) => ({
      app: 'bench',
      namespace: 'bench-plumbline',
      objects,
      revision: 'bench',
    });

    // 1. Plan, everything to create.
    const kDiff1 = await kubectl(['diff', '--server-side', '-f', kFile]);
    row(
      `plan ${planObjects} (create)`,
      'kubectl diff --server-side',
      kDiff1.ms,
      kDiff1.value.requests,
    );
    const cpuBefore = process.cpuUsage();
    const pPlan1 = await counted(() => planApp(input(base), client, undefined, { concurrency }));
    const cpu = process.cpuUsage(cpuBefore);
    row(`plan ${planObjects} (create)`, 'plumbline planApp', pPlan1.ms, pPlan1.requests);
    console.log(
      `(plumbline plan of ${planObjects} creations used ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of client CPU)`,
    );

    // 2. Apply.
    const kApply = await kubectl(['apply', '--server-side', '-f', kFile]);
    row(`apply ${planObjects}`, 'kubectl apply --server-side', kApply.ms, kApply.value.requests);
    const pApply = await counted(async () => {
      const plan = await planApp(input(base), client);
      return applyPlan({ ...input(base), plan }, client, { holder: 'bench' });
    });
    if (!pApply.value.ok)
      throw new Error(`plumbline apply failed: ${pApply.value.errors.join('; ')}`);
    row(`apply ${planObjects}`, 'plumbline planApp+applyPlan', pApply.ms, pApply.requests);
    const pApplyOnly = await counted(() => applyPlan(input(base), client, { holder: 'bench' }));
    row(
      `re-apply ${planObjects} (no change)`,
      'plumbline applyPlan',
      pApplyOnly.ms,
      pApplyOnly.requests,
    );

    // 1b. Plan after a 10% change.
    const kDiff2 = await kubectl(['diff', '--server-side', '-f', kChanged]);
    row(
      `plan ${planObjects} (10% changed)`,
      'kubectl diff --server-side',
      kDiff2.ms,
      kDiff2.value.requests,
    );
    const pPlan2 = await counted(() => planApp(input(changed), client, undefined, { concurrency }));
    row(`plan ${planObjects} (10% changed)`, 'plumbline planApp', pPlan2.ms, pPlan2.requests);
    if (pPlan2.value.summary.update !== planObjects / 10)
      throw new Error(
        `expected ${planObjects / 10} updates, planned ${pPlan2.value.summary.update}`,
      );

    // 3. Sweep: 100 apps of 20 objects, 3 group-kinds each.
    const apps = Array.from({ length: sweepApps }, (_, i) => ({
      app: `app-${i}`,
      namespace: `sweep-${i}`,
      objects: objectsFor(20),
      revision: 'bench',
    }));
    for (const app of apps)
      await client.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: app.namespace },
      });
    const setup = await time(async () => {
      for (const app of apps) {
        const result = await applyPlan(app, client, { holder: 'bench' });
        if (!result.ok) throw new Error(`setup of ${app.app} failed: ${result.errors.join('; ')}`);
      }
    });
    console.log(`(sweep setup: ${sweepApps} apps applied in ${(setup.ms / 1000).toFixed(1)} s)`);
    const sweep = await counted(async () => {
      let drifted = 0;
      for (const app of apps) if (!(await detectDrift(app, client)).inSync) drifted++;
      return drifted;
    });
    if (sweep.value !== 0) throw new Error(`${sweep.value} apps reported drift on a quiet cluster`);
    row(`no-drift sweep ${sweepApps}×20`, 'plumbline detectDrift', sweep.ms, sweep.requests);
    let kSweepMs = 0;
    let kSweepRequests = 0;
    for (const app of apps.slice(0, kubectlSweepApps)) {
      const file = manifestFile(dir, app.app, withNamespace(app.objects, app.namespace));
      const result = await kubectl(['diff', '--server-side', '--force-conflicts', '-f', file]);
      kSweepMs += result.ms;
      kSweepRequests += result.value.requests;
    }
    row(
      `no-drift sweep ${kubectlSweepApps}×20`,
      'kubectl diff --server-side',
      kSweepMs,
      kSweepRequests,
    );

    const width = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
    console.log(
      `\nKubernetes ${cluster.version}, ${planObjects} objects (ConfigMaps, Services, Deployments)\n`,
    );
    for (const r of rows)
      console.log(
        r
          .map((cell, c) => (c >= 2 ? cell.padStart(width[c] ?? 0) : cell.padEnd(width[c] ?? 0)))
          .join('  '),
      );
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `\nplan/kubectl diff time: create ${ratio(pPlan1.ms, kDiff1.ms)}, changed ${ratio(pPlan2.ms, kDiff2.ms)} (target <= 0.33)`,
    );
    console.log(
      `no-drift check: ${(sweep.requests / sweepApps).toFixed(2)} requests per app with K=3 group-kinds (target <= 4)`,
    );
  } finally {
    await plane.stop();
  }
};

await main();
