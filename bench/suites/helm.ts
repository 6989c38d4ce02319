/**
 * Helm charts: `bench/helm.ts` (also `npm run bench:helm`) run with the bundled CLI: an app of
 * three overlays of one chart from an HTTP chart repository, `plumbline render` against
 * `kustomize build --enable-helm` (one process per overlay, the same helm binary), cold (no
 * chart on the machine) and cached, medians; outputs compared.
 */
import { runStandalone } from '../measure/standalone.ts';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';

interface HelmFigures {
  overlays: number;
  objects: number;
  runs: number;
  identical: boolean;
  downloads: number;
  figures: Record<string, { wallMs: number; cpuMs: number }>;
}

async function helmSuite(context: SuiteContext): Promise<Row[]> {
  const runs = context.quick ? 1 : 3;
  context.log(`helm: bench/helm.ts, ${runs} runs`);
  const cli = context.cli.args[0];
  const result = await runStandalone<HelmFigures>(
    'helm.ts',
    context.tmp,
    { BENCH_RUNS: String(runs), ...(cli ? { BENCH_PLUMBLINE: cli } : {}) },
    context.log,
  );
  const tool = 'kustomize build --enable-helm, one process per overlay';
  const rows: Row[] = [];
  for (const phase of ['cold', 'cached'] as const) {
    const p = result.figures[`plumbline ${phase}`];
    const k = result.figures[`kustomize ${phase}`];
    if (!p || !k) throw new Error(`bench/helm.ts reported no ${phase} figures`);
    const what = `${result.overlays} overlays of one chart (${result.objects} objects), ${phase === 'cold' ? 'no chart on the machine' : 'chart cached'}`;
    rows.push(
      {
        suite: 'helm',
        case: what,
        metric: 'wall (median)',
        unit: 'ms',
        plumbline: p.wallMs,
        reference: { tool, value: k.wallMs },
        target: { text: 'identical output', met: result.identical },
        note: `Plumbline: one process for all overlays, ${context.cli.label}; helm's CPU counted on both sides; median of ${result.runs}; output ${result.identical ? 'identical' : 'DIFFERS'}; ${result.downloads} chart downloads served in all`,
      },
      {
        suite: 'helm',
        case: what,
        metric: 'CPU (median)',
        unit: 'ms',
        plumbline: p.cpuMs,
        reference: { tool, value: k.cpuMs },
      },
    );
  }
  const plain = result.figures['plumbline, the same objects as plain manifests'];
  if (plain) {
    rows.push({
      suite: 'helm',
      case: `the same ${result.objects} objects as plain manifests (the floor)`,
      metric: 'wall (median)',
      unit: 'ms',
      plumbline: plain.wallMs,
      note: 'Plumbline rendering what the charts produce, committed as plain files: what helm adds is the difference',
    });
  }
  return rows;
}

/** The helm suite. */
export const helm: Suite = {
  name: 'helm',
  summary: 'charts: plumbline render vs kustomize build --enable-helm, cold and cached',
  run: helmSuite,
};
