/**
 * `npm run bench`: every benchmark in one run, one table. Each row shows Plumbline, the
 * reference tool measured in the same run on the same work, their ratio and the target;
 * `docs/benchmarks.md` says how each is measured.
 *
 *   npm run bench                     every suite but scale (32 min at load 18 on 2 shared cores)
 *   npm run bench -- render diff      only these suites
 *   npm run bench -- --quick          smaller samples: checks the benchmark itself runs
 *   npm run bench -- --json out.json  also write the rows and the machine's state as JSON
 *   npm run bench:scale               1,000 apps on a cluster with KWOK (its own command)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processMeter } from './measure/child-process.ts';
import { describeMachine, LoadMonitor } from './measure/machine.ts';
import { plumblineCli } from './measure/plumbline-cli.ts';
import { formatTable, missed, type Row } from './measure/table.ts';
import type { Suite } from './suite.ts';
import { cluster } from './suites/cluster.ts';
import { diff } from './suites/diff.ts';
import { helm } from './suites/helm.ts';
import { hosts } from './suites/hosts.ts';
import { push } from './suites/push.ts';
import { render } from './suites/render.ts';
import { scale } from './suites/scale.ts';
import { workerd } from './suites/workerd.ts';

/** Every suite, in the order they run; `scale` only when named. */
const suites: Suite[] = [render, workerd, diff, cluster, push, helm, hosts, scale];
const byDefault = new Set(['render', 'workerd', 'diff', 'cluster', 'push', 'helm', 'hosts']);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.list) {
  console.log('Usage: npm run bench -- [--quick] [--json FILE] [SUITE...]\n\nSuites:');
  for (const suite of suites) {
    console.log(
      `  ${suite.name.padEnd(8)} ${suite.summary}${byDefault.has(suite.name) ? '' : ' (only when named)'}`,
    );
  }
  process.exit(0);
}

const unknown = positionals.filter((name) => !suites.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown suite ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const chosen = suites.filter((s) =>
  positionals.length > 0 ? positionals.includes(s.name) : byDefault.has(s.name),
);

const started = performance.now();
const monitor = new LoadMonitor();
const tmp = mkdtempSync(join(tmpdir(), 'plumbline-bench-'));
const log = (message: string) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(
    `[bench ${seconds} s, load ${monitor.sample().load[0].toFixed(1)}] ${message}\n`,
  );
};
const rows: Row[] = [];
const failures: string[] = [];
try {
  const cli = plumblineCli(tmp);
  log(`plumbline runs as: ${cli.label}; process figures by ${processMeter()}`);
  for (const suite of chosen) {
    const suiteStart = performance.now();
    log(`${suite.name}: starting`);
    try {
      rows.push(...(await suite.run({ quick: values.quick, tmp, cli, log })));
      log(`${suite.name}: done in ${((performance.now() - suiteStart) / 1000).toFixed(0)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${suite.name}: ${message}`);
      log(`${suite.name}: FAILED: ${message}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const machine = monitor.stop();
const totalSeconds = (performance.now() - started) / 1000;
const out = [
  `Plumbline benchmarks, ${new Date().toISOString()}${values.quick ? ' (--quick: smaller samples)' : ''}`,
  describeMachine(machine),
  `suites: ${chosen.map((s) => s.name).join(', ')}; total ${(totalSeconds / 60).toFixed(1)} min`,
  '',
  formatTable(rows),
  '',
  `targets: ${rows.filter((r) => r.target).length} judged, ${missed(rows).length} missed${
    missed(rows).length
      ? `: ${missed(rows)
          .map((r) => `${r.suite} ${r.case} ${r.metric}`)
          .join('; ')}`
      : ''
  }`,
  ...failures.map((f) => `suite failed: ${f}`),
];
console.log(out.join('\n'));
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ machine, totalSeconds, rows, failures }, null, 2)}\n`,
  );
}
process.exitCode = failures.length > 0 ? 1 : 0;
