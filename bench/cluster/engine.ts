/**
 * Plumbline's cluster engine in a process of its own, for the cluster benchmark: what
 * `plumbline plan` and `plumbline apply` run (the kubeconfig read by the same loader, a fresh
 * client with cold discovery, each app's directory rendered, then `planApp`, `applyPlan` or
 * `detectDrift`), with the number of requests in flight set, which the CLI does not expose.
 *
 *   node bench/cluster/engine.ts plan|apply|drift SPEC.json
 *
 * SPEC: `{kubeconfig, concurrency, apps: [{app, namespace, dir}]}`; apps run one after the
 * other. Prints a JSON summary; exits 1 when anything failed.
 */
import { readFileSync } from 'node:fs';
import { DirectoryFileTree } from '../../functions/node/directory-tree.ts';
import { nodeKubeClient } from '../../functions/node/kube-transport.ts';
import { loadKubeconfig } from '../../functions/node/kubeconfig.ts';
import { applyPlan } from '../../lib/apply/apply.ts';
import { detectDrift } from '../../lib/drift/drift.ts';
import { planApp } from '../../lib/plan/plan.ts';
import { renderApp } from '../../lib/render/index.ts';

/** What the benchmark asks of the engine. */
export interface EngineSpec {
  kubeconfig: string;
  concurrency: number;
  apps: { app: string; namespace: string; dir: string }[];
}

/** What it answers. */
export interface EngineResult {
  ok: boolean;
  /** plan: objects to create, update, leave; drift: apps in sync. */
  counts: Record<string, number>;
  errors: string[];
}

const [mode, specPath] = process.argv.slice(2) as [string, string];
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as EngineSpec;
const client = nodeKubeClient(await loadKubeconfig({ path: spec.kubeconfig }));
const result: EngineResult = { ok: true, counts: {}, errors: [] };
const add = (key: string, n = 1) => {
  result.counts[key] = (result.counts[key] ?? 0) + n;
};
for (const { app, namespace, dir } of spec.apps) {
  const rendered = await renderApp(new DirectoryFileTree(dir), '.');
  const input = { app, namespace, objects: rendered.objects, revision: 'bench' };
  if (mode === 'plan') {
    const plan = await planApp(input, client, undefined, { concurrency: spec.concurrency });
    for (const [action, n] of Object.entries(plan.summary)) add(action, n);
  } else if (mode === 'apply') {
    const changes = await applyPlan(input, client, {
      holder: `bench/${process.pid}`,
      concurrency: spec.concurrency,
    });
    for (const entry of changes.entries) add(entry.action);
    if (!changes.ok) result.errors.push(...changes.errors.map(String));
  } else if (mode === 'drift') {
    const report = await detectDrift(input, client);
    add(report.inSync ? 'inSync' : 'drifted');
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
result.ok = result.errors.length === 0;
process.stdout.write(JSON.stringify(result));
process.exitCode = result.ok ? 0 : 1;
