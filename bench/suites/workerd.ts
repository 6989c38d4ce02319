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
import { startWorkerd } from '../workerd/workerd-process.ts';

const worker = fileURLToPath(new URL('../workerd/render-worker.ts', import.meta.url));

/** The Workers memory limit per isolate: 128 MB (decimal, the stricter reading), in MiB. */
export const WORKERS_MEMORY_MIB = (128 * 1000 * 1000) / 2 ** 20;

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
  return rows;
}

/** The workerd suite. */
export const workerd: Suite = {
  name: 'workerd',
  summary:
    'render memory and CPU inside workerd for 20 (one job), 1,000 and 5,000 objects, against the 128 MB limit',
  run: workerdSuite,
};
