/**
 * Render memory inside workerd, the runtime of Cloudflare Workers, where V8 flags cannot be set
 * and an isolate may use 128 MB: the N-object app of the render benchmark rendered by `lib/render`
 * in a Worker, one fresh workerd process per size, after a small warm-up render (so the figure is
 * the render's, not the module's compilation). The heap figures are V8's own (`--trace-gc` in
 * workerd's V8 flags, the largest used and committed heap at a collection during the request);
 * the RSS figure is the process's peak growth over the request.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';
import { type JobCost, startWorkerJobs } from '../workerd/worker-jobs.ts';
import { startWorkerd } from '../workerd/workerd-process.ts';

const worker = fileURLToPath(new URL('../workerd/render-worker.ts', import.meta.url));

/** The Workers memory limit per isolate: 128 MB (decimal, the stricter reading), in MiB. */
export const WORKERS_MEMORY_MIB = (128 * 1000 * 1000) / 2 ** 20;

/** Workers CPU limits per invocation, ms: Paid by default (configurable up to 5 min), Free. */
export const WORKERS_CPU_MS = { paid: 30_000, paidMax: 300_000, free: 10 } as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** GitHub routes of a job, in order, repeats folded ("POST /repos/{repo}/statuses/{sha} ×2"). */
function routesOf(cost: JobCost): string {
  const counts = new Map<string, number>();
  for (const route of cost.githubRoutes) counts.set(route, (counts.get(route) ?? 0) + 1);
  return [...counts].map(([route, n]) => (n > 1 ? `${route} ×${n}` : route)).join(', ');
}

/**
 * CPU of whole jobs of the real Worker inside workerd (`bench/workerd/worker-jobs.ts`): a push
 * creating a 20-object app, a push changing every object of it, and a no-drift sweep job of
 * it; each in its own repository and namespace, after one warm-up app that did all three.
 */
async function jobRows(context: SuiteContext): Promise<Row[]> {
  const repeats = context.quick ? 1 : 5;
  const dir = join(context.tmp, 'workerd-jobs');
  mkdirSync(dir, { recursive: true });
  context.log(
    `workerd: whole jobs of the Worker in Miniflare (1 warm-up app, ${repeats} measured)`,
  );
  const jobs = await startWorkerJobs({ dir, apps: repeats + 1 });
  const costs = {
    create: [] as JobCost[],
    change: [] as JobCost[],
    sweep: [] as JobCost[],
    sweepCached: [] as JobCost[],
  };
  let cold: JobCost;
  let harness: { idleCpuMsPerSecond: number; statusCallMs: number };
  try {
    const [warm, ...measured] = jobs.apps;
    if (!warm) throw new Error('no app to warm up with');
    cold = await jobs.create(warm);
    await jobs.change(warm);
    await jobs.sweep(warm, { moved: true });
    await jobs.sweep(warm, { moved: false });
    harness = await jobs.calibrate(warm);
    for (const app of measured) {
      costs.create.push(await jobs.create(app));
      costs.change.push(await jobs.change(app));
      costs.sweep.push(await jobs.sweep(app, { moved: true }));
      costs.sweepCached.push(await jobs.sweep(app, { moved: false }));
    }
  } finally {
    await jobs.stop();
  }
  const how = `Measured: workerd ${jobs.workerdVersion} under Miniflare, CPU of every workerd thread (/proc/<pid>/task/*/schedstat, ns) from the delivery until the app's Durable Object recorded the verdict, minus workerd's idle CPU over the same wall time (${harness.idleCpuMsPerSecond.toFixed(2)} ms/s) and the harness's status requests asking whether the job finished (${harness.statusCallMs.toFixed(1)} ms each, asked only once the Worker has been quiet for 250 ms). It includes Miniflare's own queue broker, Durable Object and D1 plumbing and workerd's side of the loopback HTTP to the emulated edge, none of which a Worker is billed for: an upper bound`;
  const rows: Row[] = [];
  const row = (
    what: string,
    samples: readonly JobCost[],
    includes: string,
    options: {
      /** The figure of a sample other than the whole job's CPU (its wall and requests unsaid). */
      cpu?: (cost: JobCost) => number;
      routes?: boolean;
      method?: boolean;
    } = {},
  ): Row => {
    const cpuOf = options.cpu ?? ((cost: JobCost) => cost.cpuMs);
    const values = samples.map(cpuOf);
    const cpu = median(values);
    const first = samples[0] as JobCost;
    const n = samples.length === 1 ? '1 sample' : `median of ${samples.length}`;
    const range =
      samples.length > 1
        ? `${options.cpu ? '' : ', '}range ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)} ms`
        : '';
    const requests = options.routes
      ? `${first.githubRequests} GitHub requests (${routesOf(first)}), ${first.clusterRequests} API-server requests through Tunnel + Access`
      : `${first.githubRequests} GitHub and ${first.clusterRequests} API-server requests`;
    const free =
      cpu < WORKERS_CPU_MS.free
        ? "within the Free plan's 10 ms"
        : `${(cpu / WORKERS_CPU_MS.free).toFixed(cpu < 10 * WORKERS_CPU_MS.free ? 1 : 0)}× the Free plan's 10 ms`;
    return {
      suite: 'workerd',
      case: `${what} (${n})`,
      metric: 'CPU (workerd)',
      unit: 'ms',
      plumbline: cpu,
      reference: { tool: 'Workers Paid CPU limit (30 s default)', value: WORKERS_CPU_MS.paid },
      target: { text: '< 30 s (Paid)', met: cpu < WORKERS_CPU_MS.paid },
      note: `${includes}; ${options.cpu ? '' : `${requests}; wall ${median(samples.map((c) => c.wallMs)).toFixed(0)} ms`}${range}; ${free}.${options.method ? ` ${how}` : ' Measured as the first push row.'}`,
    };
  };
  const push =
    "three invocations summed (the limit applies to each): the webhook (signature check, trusted plumbline.yaml read, enqueue), the queue consumer, and the app's Durable Object running the job: branch head, tarball download with gunzip + untar, render, inventory read, the plan (server-side dry-run answers, normalization, diff, digests), plans shown for the commit looked up, GitHub deployment and commit statuses, server-side apply with the ApplySet parent and lease, masking of the outcome, D1 history row, status write";
  const sweep =
    "the queue consumer and the app's Durable Object running one sweep job (what the cron enqueues per app; the cron's own invocation, one trusted-config read per repository, is not in it): branch head, render, inventory read and drift check against the cluster (one list per kind), drift issue looked up, verdict in-sync, D1 history row, status write";
  const pushes = [...costs.create, ...costs.change];
  rows.push(
    row(
      'push creating a 20-object app, one whole reconcile job',
      costs.create,
      `20 objects created; ${push}`,
      { routes: true, method: true },
    ),
    row(
      'push changing 19 of its 20 objects, one whole reconcile job',
      costs.change,
      `19 ConfigMaps changed, the Namespace unchanged; the same work as creating`,
    ),
    row(
      'webhook invocation of those pushes (to its 202)',
      pushes,
      "the webhook's share of the two rows above: workerd's CPU from the delivery until its 202 reached the harness (idle not subtracted; Miniflare may hand the batch to the consumer before that, so an upper bound); 3 GitHub requests: the repository, its branch, plumbline.yaml",
      { cpu: (cost) => cost.acceptedCpuMs },
    ),
    row(
      'no-drift sweep job of the app, head not yet read',
      costs.sweep,
      `the branch moved by a commit outside the app that no push announced, so the tarball is downloaded and unpacked (as in an isolate that has not seen the head); ${sweep}`,
      { routes: true },
    ),
    row(
      'no-drift sweep job of the app, tree cached',
      costs.sweepCached,
      "the same sweep with the head's tree taken from the isolate's cache of recent trees (no tarball)",
    ),
    row(
      'push creating a 20-object app in a fresh workerd',
      [cold],
      "the first job after workerd started: the first push row's work plus compiling the bundle's code on first use and Miniflare's first use of its queue, Durable Object and D1 storage",
    ),
  );
  return rows;
}

async function workerdSuite(context: SuiteContext): Promise<Row[]> {
  const rows: Row[] = [];
  // 20 objects: one app of the scale benchmark, the render share of one job's CPU.
  const sizes = context.quick ? [20, 1000] : [20, 1000, 5000];
  for (const objects of sizes) {
    const dir = join(context.tmp, `workerd-${objects}`);
    mkdirSync(dir, { recursive: true });
    context.log(`workerd: render of ${objects} objects`);
    const workerd = await startWorkerd(worker, dir);
    try {
      const warm = await workerd.measure('/render?objects=10');
      if (warm.status !== 200) throw new Error(`warm-up render failed: ${warm.body}`);
      const cost = await workerd.measure(`/render?objects=${objects}`);
      if (cost.status !== 200) throw new Error(`render failed: ${cost.body}`);
      const rendered = (JSON.parse(cost.body) as { objects: number }).objects;
      if (rendered !== objects) throw new Error(`rendered ${rendered} objects, not ${objects}`);
      const what = `render ${objects.toLocaleString('en')} objects inside workerd ${workerd.version}`;
      const limit = { tool: 'Workers limit (128 MB)', value: WORKERS_MEMORY_MIB };
      const heap = cost.heapCommittedMiB ?? Number.NaN;
      rows.push(
        {
          suite: 'workerd',
          case: what,
          metric: 'V8 heap peak (committed)',
          unit: 'MiB',
          plumbline: heap,
          reference: limit,
          target: { text: '< 128 MB', met: heap < WORKERS_MEMORY_MIB },
          note: `V8's --trace-gc in workerd: largest heap at any of ${cost.collections} collections during the request (used: ${cost.heapUsedMiB?.toFixed(1) ?? 'n/a'} MiB); the files of the app are held in memory as a job holds its repository tree`,
        },
        {
          suite: 'workerd',
          case: what,
          metric: 'process RSS growth',
          unit: 'MiB',
          plumbline: cost.rssGrowthMiB,
          reference: limit,
          target: { text: '< 128 MB', met: cost.rssGrowthMiB < WORKERS_MEMORY_MIB },
        },
        {
          suite: 'workerd',
          case: what,
          metric: 'CPU (workerd process)',
          unit: 'ms',
          plumbline: cost.cpuMs,
          reference: { tool: 'Workers CPU limit (30 s default)', value: 30_000 },
          target: { text: '< 30 s', met: cost.cpuMs < 30_000 },
          note: `all of workerd's threads (an upper bound of the isolate's CPU); wall ${cost.wallMs.toFixed(0)} ms${objects === 20 ? "; the render share of one job's CPU (a job's fetches and applies wait on I/O, which Workers do not bill as CPU); the Free plan allows 10 ms per invocation" : ''}`,
        },
      );
    } finally {
      await workerd.stop();
    }
  }
  rows.push(...(await jobRows(context)));
  return rows;
}

/** The workerd suite. */
export const workerd: Suite = {
  name: 'workerd',
  summary:
    'render memory and CPU inside workerd for 20, 1,000 and 5,000 objects against the 128 MB limit; CPU of whole jobs of the Worker (push, sweep) against the per-invocation limits',
  run: workerdSuite,
};
