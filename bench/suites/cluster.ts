/**
 * Plan, apply and the no-drift sweep against kubectl of the same release, on a control plane of
 * their own, every request counted by the same proxy. Both sides are processes with cold
 * discovery (kubectl with an empty `--cache-dir`, Plumbline's engine in a fresh process) and read
 * the same manifests. kubectl sends one request at a time, so Plumbline's comparable rows have 1
 * in flight; rows with 8 in flight are labelled as such.
 *   - plan of 500 objects vs `kubectl diff --server-side` (everything new, then 10% changed);
 *   - apply of the 500 vs `kubectl apply --server-side`, then again with nothing changed;
 *   - a no-drift sweep of 100 apps of 20 objects vs `kubectl diff --server-side` per app (what
 *     Flux and Argo CD effectively do each interval).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminClient } from '../../test/env/admin.ts';
import { startControlPlane } from '../../test/env/control-plane.ts';
import { binary, versions } from '../../test/env/paths.ts';
import type { EngineResult, EngineSpec } from '../cluster/engine.ts';
import { benchObjects, manifestDir } from '../cluster/objects.ts';
import { measureProcess, type ProcessRun } from '../measure/child-process.ts';
import { type CountingProxy, startCountingProxy } from '../measure/counting-proxy.ts';
import { bundleNodeEntry } from '../measure/node-bundle.ts';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const engine = fileURLToPath(new URL('../cluster/engine.ts', import.meta.url));

/** One measured run with the requests it made. */
interface Counted {
  run: ProcessRun;
  requests: number;
}

async function clusterSuite(context: SuiteContext): Promise<Row[]> {
  const { quick, log } = context;
  const objects = quick ? 100 : 500;
  const sweepApps = quick ? 10 : 100;
  const dir = join(context.tmp, 'cluster');
  mkdirSync(dir, { recursive: true });
  // Bundled, as the package ships the CLI: run from the TypeScript sources, each engine process
  // would also pay for Node stripping types and resolving every module file at start.
  const engineBundle = await bundleNodeEntry(engine, dir, 'cluster-engine');
  log('cluster: starting a control plane');
  const plane = await startControlPlane({ workloads: false });
  const proxy: CountingProxy = await startCountingProxy(plane.cluster, dir);
  const kubectlPath = binary('kubectl');
  const kubectlTool = (verb: string) =>
    `kubectl ${verb} --server-side (${versions.KUBERNETES_VERSION})`;
  let caches = 0;
  const kubectl = async (args: string[], sharedCache?: string): Promise<Counted> => {
    proxy.take();
    // An empty discovery cache per run: cold, as a fresh Plumbline process is (the sweep shares
    // one across its apps, as Plumbline's one process does).
    const cacheDir = sharedCache ?? join(dir, `kubectl-cache-${caches++}`);
    const run = await measureProcess(kubectlPath, [
      '--kubeconfig',
      proxy.kubeconfig,
      '--cache-dir',
      cacheDir,
      ...args,
    ]);
    // kubectl diff exits 1 when it found differences.
    if (run.status > 1)
      throw new Error(`kubectl ${args.join(' ')} failed: ${run.stderr.slice(-2000)}`);
    return { run, requests: proxy.take().total };
  };
  let specs = 0;
  const plumbline = async (
    mode: 'plan' | 'apply' | 'drift',
    concurrency: number,
    apps: EngineSpec['apps'],
  ) => {
    const spec: EngineSpec = { kubeconfig: proxy.kubeconfig, concurrency, apps };
    const path = join(dir, `spec-${specs++}.json`);
    writeFileSync(path, JSON.stringify(spec));
    proxy.take();
    const run = await measureProcess(process.execPath, [engineBundle, mode, path]);
    const requests = proxy.take().total;
    if (run.status !== 0)
      throw new Error(`plumbline ${mode} failed: ${run.stderr.slice(-2000)} ${run.stdout}`);
    return { run, requests, result: JSON.parse(run.stdout) as EngineResult };
  };
  const rows: Row[] = [];
  const compare = (
    what: string,
    concurrency: number,
    mine: Counted,
    theirs: Counted,
    tool: string,
    target?: { wall?: number; note?: string },
  ) => {
    const label = `${what}, ${concurrency} in flight${concurrency === 1 ? '' : ' (kubectl: 1)'}`;
    rows.push(
      {
        suite: 'cluster',
        case: label,
        metric: 'wall',
        unit: 'ms',
        plumbline: mine.run.wallMs,
        reference: { tool, value: theirs.run.wallMs },
        ...(target?.wall !== undefined
          ? {
              target: {
                text: `<= ${target.wall}x`,
                met: mine.run.wallMs <= theirs.run.wallMs * target.wall,
              },
            }
          : {}),
        note: `both processes (Plumbline: its engine bundled, as the package bundles the CLI), cold discovery, same proxy${concurrency === 1 ? ', one request at a time both' : `; Plumbline sends ${concurrency} at once, kubectl 1 (different concurrency)`}${target?.note ? `; ${target.note}` : ''}`,
      },
      {
        suite: 'cluster',
        case: label,
        metric: 'CPU (client)',
        unit: 'ms',
        plumbline: mine.run.cpuMs,
        reference: { tool, value: theirs.run.cpuMs },
      },
      {
        suite: 'cluster',
        case: label,
        metric: 'requests',
        unit: 'requests',
        plumbline: mine.requests,
        reference: { tool, value: theirs.requests },
      },
    );
  };
  try {
    const admin = adminClient(plane.cluster);
    const namespaces = ['bench-kubectl', 'bench-c1', 'bench-c8'];
    for (let i = 0; i < sweepApps; i++) namespaces.push(`sweep-${i}`);
    for (const name of namespaces) {
      const answer = await admin('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      if (answer.status !== 201) throw new Error(`namespace ${name}: ${answer.status}`);
    }
    const base = benchObjects(objects);
    const changed = benchObjects(objects, '-b');
    const kDir = manifestDir(join(dir, 'k'), 'bench-kubectl', base);
    const kChanged = manifestDir(join(dir, 'k-changed'), 'bench-kubectl', changed);
    const app = (ns: string, objs: typeof base, name: string) => [
      { app: 'bench', namespace: ns, dir: manifestDir(join(dir, name), ns, objs) },
    ];
    const c1 = app('bench-c1', base, 'c1');
    const c8 = app('bench-c8', base, 'c8');
    const c1Changed = app('bench-c1', changed, 'c1-changed');
    const c8Changed = app('bench-c8', changed, 'c8-changed');

    log(`cluster: plan of ${objects} objects (create)`);
    const kPlan = await kubectl(['diff', '--server-side', '-f', kDir]);
    const pPlan1 = await plumbline('plan', 1, c1);
    const pPlan8 = await plumbline('plan', 8, c8);
    if (pPlan1.result.counts.create !== objects)
      throw new Error(`plan planned ${JSON.stringify(pPlan1.result.counts)}`);
    compare(`plan ${objects} objects (all new)`, 1, pPlan1, kPlan, kubectlTool('diff'), {
      wall: 1,
    });
    compare(`plan ${objects} objects (all new)`, 8, pPlan8, kPlan, kubectlTool('diff'), {
      wall: 0.33,
    });

    log(`cluster: apply of ${objects} objects`);
    // Plumbline dry-runs every object on the server before it writes any (a bad object fails
    // the whole apply before anything changed): two requests per object. kubectl's nearest
    // equivalent of that guard is a server-side dry run of the whole set, then the apply.
    const kDry = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', kDir]);
    const kApply = await kubectl(['apply', '--server-side', '-f', kDir]);
    const kGuarded: Counted = {
      run: {
        ...kApply.run,
        wallMs: kDry.run.wallMs + kApply.run.wallMs,
        cpuMs: kDry.run.cpuMs + kApply.run.cpuMs,
        peakKb: Math.max(kDry.run.peakKb, kApply.run.peakKb),
      },
      requests: kDry.requests + kApply.requests,
    };
    const pApply1 = await plumbline('apply', 1, c1);
    const pApply8 = await plumbline('apply', 8, c8);
    compare(
      `apply ${objects} objects (all new), everything dry-run first`,
      1,
      pApply1,
      kGuarded,
      `kubectl apply --server-side --dry-run=server, then apply (${versions.KUBERNETES_VERSION})`,
      {
        wall: 1,
        note: 'the same work both: a server-side dry run of every object, then the apply (kubectl: two processes, summed); Plumbline also writes its ApplySet parent and lease',
      },
    );
    compare(`apply ${objects} objects (all new)`, 1, pApply1, kApply, kubectlTool('apply'), {
      note: 'different work: Plumbline dry-runs every object before writing any (two requests per object; the row above compares that with kubectl doing the same), and writes its ApplySet parent and lease',
    });
    compare(`apply ${objects} objects (all new)`, 8, pApply8, kApply, kubectlTool('apply'), {
      note: 'Plumbline dry-runs every object before writing any (two requests per object)',
    });

    log(`cluster: apply again, nothing changed`);
    const kAgain = await kubectl(['apply', '--server-side', '-f', kDir]);
    const pAgain1 = await plumbline('apply', 1, c1);
    compare(
      `apply ${objects} objects again (no change)`,
      1,
      pAgain1,
      kAgain,
      kubectlTool('apply'),
      { wall: 1 },
    );

    log(`cluster: plan after a 10% change`);
    const kPlan2 = await kubectl(['diff', '--server-side', '-f', kChanged]);
    const pPlan21 = await plumbline('plan', 1, c1Changed);
    const pPlan28 = await plumbline('plan', 8, c8Changed);
    if (pPlan21.result.counts.update !== objects / 10)
      throw new Error(`plan planned ${JSON.stringify(pPlan21.result.counts)}`);
    compare(`plan ${objects} objects (10% changed)`, 1, pPlan21, kPlan2, kubectlTool('diff'), {
      wall: 1,
    });
    compare(`plan ${objects} objects (10% changed)`, 8, pPlan28, kPlan2, kubectlTool('diff'), {
      wall: 0.33,
    });

    log(`cluster: sweep of ${sweepApps} apps of 20 objects`);
    const sweep: EngineSpec['apps'] = [];
    for (let i = 0; i < sweepApps; i++) {
      const ns = `sweep-${i}`;
      sweep.push({
        app: `app-${i}`,
        namespace: ns,
        dir: manifestDir(join(dir, 'sweep', ns), ns, benchObjects(20)),
      });
    }
    const setup = await plumbline('apply', 8, sweep);
    if (!setup.result.ok) throw new Error(`sweep setup failed: ${setup.result.errors.join('; ')}`);
    const pSweep = await plumbline('drift', 1, sweep);
    if (pSweep.result.counts.inSync !== sweepApps)
      throw new Error(`sweep found drift: ${JSON.stringify(pSweep.result.counts)}`);
    const kSweep: Counted = {
      run: { wallMs: 0, cpuMs: 0, peakKb: 0, status: 0, stdout: '', stderr: '' },
      requests: 0,
    };
    for (const entry of sweep) {
      const one = await kubectl(
        ['diff', '--server-side', '--force-conflicts', '-f', entry.dir],
        join(dir, 'kubectl-sweep-cache'),
      );
      if (one.run.status !== 0)
        throw new Error(
          `kubectl diff found drift in ${entry.namespace}: ${one.run.stdout.slice(0, 500)}`,
        );
      kSweep.run.wallMs += one.run.wallMs;
      kSweep.run.cpuMs += one.run.cpuMs;
      kSweep.run.peakKb = Math.max(kSweep.run.peakKb, one.run.peakKb);
      kSweep.requests += one.requests;
    }
    const sweepCase = `no-drift sweep, ${sweepApps} apps x 20 objects (3 kinds), apps one at a time`;
    // Discovery (a few requests, once per process) comes on top of the per-app checks.
    const perAppBound = 4 * sweepApps + 4;
    rows.push(
      {
        suite: 'cluster',
        case: sweepCase,
        metric: 'wall',
        unit: 'ms',
        plumbline: pSweep.run.wallMs,
        reference: { tool: `${kubectlTool('diff')} per app`, value: kSweep.run.wallMs },
        note: "Plumbline: one process lists each app's kinds and checks locally (a dry run only for what looks drifted); kubectl: one process per app, a dry run of every object (what Flux and Argo CD effectively do each interval); discovery cold for the first app and cached after, both (kubectl shares one --cache-dir)",
      },
      {
        suite: 'cluster',
        case: sweepCase,
        metric: 'CPU (client)',
        unit: 'ms',
        plumbline: pSweep.run.cpuMs,
        reference: { tool: `${kubectlTool('diff')} per app`, value: kSweep.run.cpuMs },
      },
      {
        suite: 'cluster',
        case: sweepCase,
        metric: 'requests',
        unit: 'requests',
        plumbline: pSweep.requests,
        reference: { tool: `${kubectlTool('diff')} per app`, value: kSweep.requests },
        target: { text: '<= K+1 = 4 per app (+ discovery)', met: pSweep.requests <= perAppBound },
      },
    );
  } finally {
    await proxy.close();
    await plane.stop();
  }
  return rows;
}

/** The cluster suite. */
export const cluster: Suite = {
  name: 'cluster',
  summary:
    'plan, apply and the no-drift sweep vs kubectl diff/apply --server-side, equal concurrency',
  run: clusterSuite,
};
