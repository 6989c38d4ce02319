/**
 * `npm test`: builds the test environment (cached), lints and formats (Biome), type-checks
 * (`lib/` against Web Standards only, then everything), builds the Worker bundle and checks
 * its size, and runs every vitest project. Extra
 * arguments go to vitest (`npm test -- --project unit`). Ends with one line
 * `tests: N passed, N failed` and a non-zero exit on any failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 24) {
  console.error(
    `npm test needs Node 24 or later (running ${process.version}). ` +
      "Run 'npm install' first: it brings Node 24 as a dev dependency, which npm scripts use.",
  );
  process.exit(1);
}

function step(title: string, command: string, args: string[]): void {
  const started = Date.now();
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`== ${title}: failed after ${seconds} s`);
    console.log('tests: 0 passed, 1 failed');
    process.exit(result.status ?? 1);
  }
  console.log(`== ${title}: ok in ${seconds} s`);
}

step('test environment (test/env/install.sh)', 'bash', ['test/env/install.sh']);
step('lint and format (biome ci)', 'biome', ['ci', '.']);
step('type-check lib/ (Web Standards only)', 'tsc', ['-p', 'tsconfig.lib.json']);
step('type-check everything', 'tsc', ['-p', 'tsconfig.json']);
step('Worker bundle (size and no Node-only module)', 'node', ['.ci/worker-bundle.ts']);

const out = mkdtempSync(join(tmpdir(), 'plumbline-vitest-'));
const report = join(out, 'report.json');
console.log('\n== tests (vitest)');
const run = spawnSync(
  'vitest',
  [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTests: number;
    numFailedTestSuites: number;
  };
  passed = json.numPassedTests;
  failed =
    json.numFailedTests + (json.numFailedTestSuites > 0 && json.numFailedTests === 0 ? 1 : 0);
} catch {
  failed = 1;
}
rmSync(out, { recursive: true, force: true });
const ok = run.status === 0 && failed === 0 && passed > 0;
if (passed === 0) console.error('no test ran: that is a failure, not a pass');
console.log(`tests: ${passed} passed, ${ok ? failed : Math.max(failed, 1)} failed`);
process.exit(ok ? 0 : 1);
