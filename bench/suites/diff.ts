/**
 * The plan's unified diff (`lib/plan/unified-diff.ts`) against GNU `diff -u` on the same texts.
 * Plumbline's side runs in a fresh process per case and is measured from inside: the diff
 * alone for time; for memory, the process's peak RSS minus that of the same process building
 * the same texts without diffing them. `diff -u` is a whole process (start-up included), which
 * favours Plumbline's time; the rows say so.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiffCaseResult } from '../diff/diff-case.ts';
import { diffTexts } from '../diff/texts.ts';
import { measureProcess } from '../measure/child-process.ts';
import { bundleNodeEntry } from '../measure/node-bundle.ts';
import { mib } from '../measure/stats.ts';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const child = fileURLToPath(new URL('../diff/diff-case.ts', import.meta.url));

/** Cases and, for the one the issue bounds, the targets. */
const cases = [
  'rewrite:2000',
  'rewrite:5000',
  'alphabet:5000',
  'sparse:20000',
  'alphabet:12000',
  'rewrite:60000',
];

async function diffSuite(context: SuiteContext): Promise<Row[]> {
  const rows: Row[] = [];
  const chosen = context.quick ? ['rewrite:5000', 'alphabet:5000'] : cases;
  // Bundled, as the package ships code: Node stripping TypeScript at start peaks higher than a
  // 5,000-line diff, which would hide the diff's memory under the start-up's.
  const bundle = await bundleNodeEntry(child, context.tmp, 'diff-case');
  for (const name of chosen) {
    context.log(`diff: ${name}`);
    const runCase = (...args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [bundle, name, ...args], {
          encoding: 'utf8',
          maxBuffer: 1 << 30,
        }),
      ) as DiffCaseResult;
    const base = runCase('baseline');
    const run = runCase();
    const growthKb = Math.max(0, run.peakKb - base.peakKb);
    const { before, after } = diffTexts(name);
    const a = join(context.tmp, 'diff-a');
    const b = join(context.tmp, 'diff-b');
    writeFileSync(a, before);
    writeFileSync(b, after);
    const reference = await measureProcess('diff', ['-u', a, b]);
    const [kind, lines] = name.split(':') as [string, string];
    const fallback = run.tail.startsWith('#');
    const what = `${kind === 'rewrite' ? 'rewrite of' : kind === 'alphabet' ? '8-line alphabet,' : 'sparse changes,'} ${Number(lines).toLocaleString('en')} lines${fallback ? ' (fallback)' : ''}`;
    const bounded = name === 'rewrite:5000' || name === 'alphabet:5000';
    const note = fallback
      ? `past the size limit: prints "${run.tail}"`
      : `${run.lines} lines printed; Plumbline: the diff alone in a warm process; diff -u: the whole process`;
    rows.push(
      {
        suite: 'diff',
        case: what,
        metric: 'CPU',
        unit: 'ms',
        plumbline: run.cpuMs,
        reference: { tool: 'GNU diff -u', value: reference.cpuMs },
        ...(bounded ? { target: { text: '< 1 s', met: run.cpuMs < 1000 } } : {}),
        note: `${note}; wall ${run.ms.toFixed(0)} ms vs ${reference.wallMs.toFixed(0)} ms`,
      },
      {
        suite: 'diff',
        case: what,
        metric: 'memory',
        unit: 'MiB',
        plumbline: mib(growthKb),
        reference: { tool: 'GNU diff -u (peak RSS)', value: mib(reference.peakKb) },
        ...(bounded ? { target: { text: '< 50 MiB', met: mib(growthKb) < 50 } } : {}),
        note: `Plumbline: peak RSS ${mib(run.peakKb).toFixed(1)} MiB with the diff, ${mib(base.peakKb).toFixed(1)} MiB building the same texts without it; diff -u: the whole process`,
      },
    );
  }
  return rows;
}

/** The diff suite. */
export const diff: Suite = {
  name: 'diff',
  summary: "the plan's unified diff vs GNU diff -u: time and memory up to 60,000 lines",
  run: diffSuite,
};
