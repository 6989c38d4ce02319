/**
 * One case of the diff benchmark, in a process of its own (so one case's garbage does not count
 * against the next): `node bench/diff/diff-case.ts rewrite:5000` prints, as JSON, the wall and
 * CPU time of `unifiedDiff` alone, the process's peak RSS, and the size of what it printed.
 * With `baseline` after the case it builds the same texts and does not diff them: the suite
 * takes the difference of the two peaks as the diff's memory. (Peak RSS read before and after
 * the diff in one process shows no growth when the diff stays under the peak the start-up
 * already reached, so it cannot tell a small diff from a free one.)
 */
import { resourceUsage } from 'node:process';
import { unifiedDiff } from '../../lib/plan/unified-diff.ts';
import { procStatusKb } from '../measure/child-process.ts';
import { diffTexts } from './texts.ts';

/** What the child prints. */
export interface DiffCaseResult {
  ms: number;
  cpuMs: number;
  /** The process's peak RSS at the end, in KiB. */
  peakKb: number;
  lines: number;
  /** The last line: the fallback's summary when the diff was too large to show. */
  tail: string;
}

const name = process.argv[2] as string;
const baseline = process.argv[3] === 'baseline';
const { before, after } = diffTexts(name);
const cpuBefore = process.cpuUsage();
const started = performance.now();
const diff = baseline ? '' : unifiedDiff(before, after, { before: 'live', after: 'merged' });
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const result: DiffCaseResult = {
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  // VmHWM: the high-water mark of this address space. Not getrusage's maxRSS, which a child
  // inherits from the process that forked it (the benchmark, larger than any case here).
  peakKb: procStatusKb(process.pid, 'VmHWM') ?? resourceUsage().maxRSS,
  lines: diff.split('\n').length,
  tail: diff.split('\n').at(-2) ?? '',
};
process.stdout.write(JSON.stringify(result));
