/**
 * `node bench/diff.ts`: memory and time of the plan's unified diff (`lib/plan/unified-diff.ts`)
 * against GNU `diff -u` on the same texts, in the same run. Each case runs in a fresh Node
 * process (so one case's garbage does not count against the next); memory is the growth of
 * the process's peak RSS while the diff runs, time the wall time of the diff alone. Printed, not
 * asserted: benchmarks are not tests (the unit tests hold a deterministic bound instead).
 *
 * Cases: a whole rewrite (every line changed, as when a ConfigMap's data is regenerated), the
 * same with lines from a small alphabet (many candidate matches: the algorithm's worst case),
 * a few changes in a large object, and one past the size limit (the readable fallback).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { unifiedDiff } from '../lib/plan/unified-diff.ts';
import { measure } from './render/measure.ts';

/** The texts of one case. */
function texts(name: string): { before: string; after: string } {
  const [kind, size] = name.split(':') as [string, string];
  const n = Number(size);
  const lines = (f: (i: number) => string) =>
    `${Array.from({ length: n }, (_, i) => f(i)).join('\n')}\n`;
  switch (kind) {
    case 'rewrite':
      return {
        before: lines((i) => `  key${i}: value-${i}`),
        after: lines((i) => `  key${i}: other-${i}`),
      };
    case 'alphabet': {
      let seed = 11;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return (seed >>> 16) % 8;
      };
      return {
        before: lines(() => `  - item-${next()}`),
        after: lines(() => `  - item-${next()}`),
      };
    }
    case 'sparse':
      return {
        before: lines((i) => `  key${i}: value-${i}`),
        after: lines((i) => `  key${i}: ${i % 100 === 0 ? 'changed' : 'value'}-${i}`),
      };
    default:
      throw new Error(`unknown case ${name}`);
  }
}

const cases = [
  'rewrite:2000',
  'rewrite:5000',
  'alphabet:5000',
  'sparse:20000',
  'alphabet:12000',
  'rewrite:60000',
];

if (process.argv[2] === '--case') {
  // The child: one diff, measured from inside.
  const name = process.argv[3] as string;
  const { before, after } = texts(name);
  const rssBefore = resourceUsage().maxRSS;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const diff = unifiedDiff(before, after, { before: 'live', after: 'merged' });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const growthKb = resourceUsage().maxRSS - rssBefore;
  const lines = diff.split('\n').length;
  process.stdout.write(
    JSON.stringify({ ms, cpuMs, growthKb, lines, tail: diff.split('\n').at(-2) }),
  );
} else {
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-bench-diff-'));
  try {
    console.log(
      'case            plumbline: wall (CPU)      peak RSS growth  output lines | diff -u: wall    peak RSS',
    );
    for (const name of cases) {
      const run = JSON.parse(
        execFileSync(process.execPath, [self, '--case', name], {
          encoding: 'utf8',
          maxBuffer: 1 << 30,
        }),
      ) as { ms: number; cpuMs: number; growthKb: number; lines: number; tail: string };
      const { before, after } = texts(name);
      writeFileSync(join(dir, 'a'), before);
      writeFileSync(join(dir, 'b'), after);
      const reference = await measure('diff', ['-u', join(dir, 'a'), join(dir, 'b')], dir);
      console.log(
        `${name.padEnd(15)} ${`${run.ms.toFixed(0)} ms (${run.cpuMs.toFixed(0)} ms)`.padStart(20)} ${`${(run.growthKb / 1024).toFixed(1)} MiB`.padStart(18)} ${String(run.lines).padStart(13)} | ${`${reference.wallMs.toFixed(0)} ms`.padStart(13)} ${`${(reference.peakKb / 1024).toFixed(1)} MiB`.padStart(11)}`,
      );
      if (run.tail.startsWith('#')) console.log(`${''.padEnd(16)}fallback: ${run.tail}`);
    }
    console.log('target: 5,000 changed lines under 50 MiB and 1 s');
    console.log(
      `load average while measuring: ${(await import('node:os'))
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
