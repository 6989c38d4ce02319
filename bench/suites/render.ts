/**
 * Render against `kustomize build` (the test environment's binary), both as processes on the
 * same generated repository, interleaved in one run, outputs compared:
 *   - start-up: the smallest app, one process each, the tools alternating, medians (issue 16's
 *     target: at or below kustomize), and once with Node's compile cache off (a first run);
 *   - per app: one process per app for a sample of apps, both tools;
 *   - whole repository, the same work: one process each building one kustomization that lists
 *     every app;
 *   - one app of 1,000 and one of 5,000 objects: CPU and peak memory (Node; the Workers
 *     figures come from the workerd suite).
 */
import { join } from 'node:path';
import { binary, versions } from '../../test/env/paths.ts';
import { measureProcess, type ProcessRun } from '../measure/child-process.ts';
import { mean, median, mib } from '../measure/stats.ts';
import type { Row } from '../measure/table.ts';
import { generateMonorepo } from '../render/monorepo.ts';
import { compareRenders } from '../render/same-output.ts';
import type { Suite, SuiteContext } from '../suite.ts';

function check(run: ProcessRun, what: string): ProcessRun {
  if (run.status !== 0)
    throw new Error(`${what} failed (${run.status}): ${run.stderr.slice(0, 2000)}`);
  return run;
}

async function renderSuite(context: SuiteContext): Promise<Row[]> {
  const { cli, quick, log } = context;
  const root = join(context.tmp, 'render-repo');
  const apps = quick ? 40 : 220;
  const bigSizes = quick ? [1000] : [1000, 5000];
  const repo = generateMonorepo(root, { apps, bigApps: bigSizes });
  const kustomize = binary('kustomize');
  const kustomizeTool = `kustomize build (${versions.KUSTOMIZE_VERSION})`;
  const plumbline = (dir: string) =>
    measureProcess(cli.command, [...cli.args, 'render', dir], { cwd: root });
  const build = (dir: string) => measureProcess(kustomize, ['build', dir], { cwd: root });
  const rows: Row[] = [];
  const suite = 'render';

  // Warm-up: the page cache for both binaries and the files, Node's compile cache for the CLI.
  for (let i = 0; i < 2; i++) {
    check(await build(repo.apps[0] as string), 'warm-up kustomize');
    check(await plumbline(repo.apps[0] as string), 'warm-up plumbline');
  }

  // Start-up: the smallest app, the tools alternating so load hits both alike.
  const small = repo.apps[0] as string;
  const smallRuns = quick ? 6 : 20;
  log(`render: start-up, ${small}, ${smallRuns} runs each`);
  const kSmall: ProcessRun[] = [];
  const pSmall: ProcessRun[] = [];
  for (let i = 0; i < smallRuns; i++) {
    kSmall.push(check(await build(small), 'kustomize build (small app)'));
    pSmall.push(check(await plumbline(small), 'plumbline render (small app)'));
  }
  const firstRun = check(
    await measureProcess(cli.command, [...cli.args, 'render', small], {
      cwd: root,
      env: { NODE_DISABLE_COMPILE_CACHE: '1' },
    }),
    'plumbline render (small app, no compile cache)',
  );
  const smallObjects = compareRenders(kSmall[0]?.stdout ?? '', pSmall[0]?.stdout ?? '');
  const smallCase = `start-up: smallest app (${smallObjects.documents} objects), one process each`;
  const smallWall = median(pSmall.map((r) => r.wallMs));
  const smallWallK = median(kSmall.map((r) => r.wallMs));
  rows.push(
    {
      suite,
      case: smallCase,
      metric: 'wall (median)',
      unit: 'ms',
      plumbline: smallWall,
      reference: { tool: kustomizeTool, value: smallWallK },
      target: { text: '<= 1x (issue 16)', met: smallWall <= smallWallK },
      note: `${cli.label}; median of ${smallRuns}, the tools alternating; with Node's compile cache off (a first run after installing) ${firstRun.wallMs.toFixed(0)} ms, peak ${mib(firstRun.peakKb).toFixed(1)} MiB; output ${smallObjects.identical ? 'identical' : 'DIFFERS'}`,
    },
    {
      suite,
      case: smallCase,
      metric: 'peak RSS (median)',
      unit: 'MiB',
      plumbline: mib(median(pSmall.map((r) => r.peakKb))),
      reference: { tool: kustomizeTool, value: mib(median(kSmall.map((r) => r.peakKb))) },
    },
  );

  // Per app: a spread sample, the two tools alternating which runs first.
  const sampleSize = quick ? 6 : 24;
  const step = Math.max(1, Math.floor(repo.apps.length / sampleSize));
  const sample = repo.apps.filter((_, i) => i % step === 0).slice(0, sampleSize);
  log(`render: per app, ${sample.length} apps, one process each`);
  const kRuns: ProcessRun[] = [];
  const pRuns: ProcessRun[] = [];
  let identical = 0;
  for (const [i, app] of sample.entries()) {
    // Alternate which tool runs first, so neither always meets the other's leftovers.
    let k: ProcessRun | undefined;
    if (i % 2 === 0) k = check(await build(app), `kustomize build ${app}`);
    const p = check(await plumbline(app), `plumbline render ${app}`);
    k ??= check(await build(app), `kustomize build ${app}`);
    kRuns.push(k);
    pRuns.push(p);
    if (compareRenders(k.stdout, p.stdout).identical) identical++;
  }
  const perApp = `per app (${sample.length} apps of ~12 objects, one process each)`;
  const sameNote = `${cli.label}; warm page cache and compile cache; output identical for ${identical}/${sample.length} apps (Secrets compared with values masked: plumbline render prints them as ***)`;
  rows.push(
    {
      suite,
      case: perApp,
      metric: 'CPU (mean)',
      unit: 'ms',
      plumbline: mean(pRuns.map((r) => r.cpuMs)),
      reference: { tool: kustomizeTool, value: mean(kRuns.map((r) => r.cpuMs)) },
      target: {
        text: '<= 1x (issue 16)',
        met: mean(pRuns.map((r) => r.cpuMs)) <= mean(kRuns.map((r) => r.cpuMs)),
      },
      note: sameNote,
    },
    {
      suite,
      case: perApp,
      metric: 'wall (median)',
      unit: 'ms',
      plumbline: median(pRuns.map((r) => r.wallMs)),
      reference: { tool: kustomizeTool, value: median(kRuns.map((r) => r.wallMs)) },
    },
    {
      suite,
      case: perApp,
      metric: 'peak RSS (max)',
      unit: 'MiB',
      plumbline: mib(Math.max(...pRuns.map((r) => r.peakKb))),
      reference: { tool: kustomizeTool, value: mib(Math.max(...kRuns.map((r) => r.peakKb))) },
    },
  );

  // Whole repository, the same work: one kustomization listing every app, one process each.
  const repeats = quick ? 1 : 3;
  log(`render: whole repository (${apps} apps), ${repeats} runs each`);
  const kWhole: ProcessRun[] = [];
  const pWhole: ProcessRun[] = [];
  for (let i = 0; i < repeats; i++) {
    kWhole.push(check(await build(repo.allApps), 'kustomize build (all apps)'));
    pWhole.push(check(await plumbline(repo.allApps), 'plumbline render (all apps)'));
  }
  const whole = compareRenders(kWhole[0]?.stdout ?? '', pWhole[0]?.stdout ?? '');
  const wholeCase = `whole repository: ${apps} apps, ${whole.documents} objects, one process each`;
  const wholeNote = `both build apps/all, a kustomization listing every app (equal work); median of ${repeats}; ${cli.label}; output ${whole.identical ? 'identical' : `DIFFERS in ${whole.differing.length} documents`}`;
  rows.push(
    {
      suite,
      case: wholeCase,
      metric: 'CPU (median)',
      unit: 'ms',
      plumbline: median(pWhole.map((r) => r.cpuMs)),
      reference: { tool: kustomizeTool, value: median(kWhole.map((r) => r.cpuMs)) },
      target: {
        text: '<= 1x, identical',
        met:
          whole.identical &&
          median(pWhole.map((r) => r.cpuMs)) <= median(kWhole.map((r) => r.cpuMs)),
      },
      note: wholeNote,
    },
    {
      suite,
      case: wholeCase,
      metric: 'wall (median)',
      unit: 'ms',
      plumbline: median(pWhole.map((r) => r.wallMs)),
      reference: { tool: kustomizeTool, value: median(kWhole.map((r) => r.wallMs)) },
    },
    {
      suite,
      case: wholeCase,
      metric: 'peak RSS (max)',
      unit: 'MiB',
      plumbline: mib(Math.max(...pWhole.map((r) => r.peakKb))),
      reference: { tool: kustomizeTool, value: mib(Math.max(...kWhole.map((r) => r.peakKb))) },
    },
  );

  // Large single apps: memory on Node against kustomize's.
  // kustomize's build grows faster than linearly with one app's size (minutes of CPU at 5,000
  // objects): past this size only Plumbline runs, unless BENCH_KUSTOMIZE_MAX_OBJECTS says more.
  const kustomizeMax = Number(process.env.BENCH_KUSTOMIZE_MAX_OBJECTS ?? 1000);
  for (const objects of bigSizes) {
    const dir = repo.bigApps.get(objects) as string;
    log(`render: one app of ${objects} objects`);
    const k =
      objects <= kustomizeMax
        ? check(await build(dir), `kustomize build (${objects} objects)`)
        : undefined;
    const p = check(await plumbline(dir), `plumbline render (${objects} objects)`);
    const bigCase = `one app of ${objects} objects (Node)`;
    if (!k) {
      rows.push(
        {
          suite,
          case: bigCase,
          metric: 'peak RSS',
          unit: 'MiB',
          plumbline: mib(p.peakKb),
          note: `${cli.label}; one run; kustomize not run at this size (its build takes minutes of CPU here; BENCH_KUSTOMIZE_MAX_OBJECTS=${objects} includes it); inside workerd: the workerd rows`,
        },
        { suite, case: bigCase, metric: 'CPU', unit: 'ms', plumbline: p.cpuMs },
      );
      continue;
    }
    const same = compareRenders(k.stdout, p.stdout);
    const peakRatio = p.peakKb / k.peakKb;
    rows.push(
      {
        suite,
        case: bigCase,
        metric: 'peak RSS',
        unit: 'MiB',
        plumbline: mib(p.peakKb),
        reference: { tool: kustomizeTool, value: mib(k.peakKb) },
        ...(objects === 1000 ? { target: { text: '<= 1.5x', met: peakRatio <= 1.5 } } : {}),
        note: `${cli.label}; one run each; output ${same.identical ? 'identical' : `DIFFERS in ${same.differing.length} documents`}`,
      },
      {
        suite,
        case: bigCase,
        metric: 'CPU',
        unit: 'ms',
        plumbline: p.cpuMs,
        reference: { tool: kustomizeTool, value: k.cpuMs },
      },
    );
  }
  return rows;
}

/** The render suite. */
export const render: Suite = {
  name: 'render',
  summary:
    'plumbline render vs kustomize build: start-up, per app, whole repository, 1,000 and 5,000 objects',
  run: renderSuite,
};
