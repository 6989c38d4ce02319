/**
 * One case of the diff benchmark, in a process of its own (so one case's garbage does not count
 * against the next): `node bench/diff/diff-case.ts rewrite:5000` prints, as JSON, the wall and
 * CPU time of `unifiedDiff` alone, the growth of the process's peak RSS while it ran, and the
 * size of what it printed.
 */
import { resourceUsage } from 'node:process';
import { unifiedDiff } from '../../lib/plan/unified-diff.ts';
import { diffTexts } from './texts.ts';

/** What the child prints. */
export interface DiffCaseResult {
  ms: number;
  cpuMs: number;
  growthKb: number;
  lines: number;
  /** The last line: the fallback's summary when the diff was too large to show. */
  tail: string;
}

const name = process.argv[2] as string;
const { before, after } = diffTexts(name);
const rssBefore = resourceUsage().maxRSS;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const diff = unifiedDiff(before, after, { before: 'live', after: 'merged' });
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const result: DiffCaseResult = {
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  growthKb: resourceUsage().maxRSS - rssBefore,
  lines: diff.split('\n').length,
  tail: diff.split('\n').at(-2) ?? '',
};
process.stdout.write(JSON.stringify(result));
