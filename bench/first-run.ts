/**
 * First-run benchmark: the time from `npm start` (nothing configured, a fresh data directory)
 * to the demo's first deploy, read from the log line that records it; then to the first sweep
 * that finds the app in sync. Run in a fresh clone after `npm install` to measure what a new
 * user waits: `node bench/first-run.ts [checkout]` (default: this checkout). Prints figures;
 * asserts nothing (speed is measured here, never in tests).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const checkout = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..'));
const runs = Number(process.env.RUNS ?? 3);

async function once(): Promise<{ url: number; deployed: number; swept: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-first-run-bench-'));
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent', '--', '--port', '0'], {
    cwd: checkout,
    env: {
      ...process.env,
      PLUMBLINE_DATA_DIR: join(dir, 'data'),
      PLUMBLINE_CACHE_DIR: join(dir, 'cache'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const marks: { url?: number; deployed?: number; swept?: number } = {};
  let output = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no deploy within 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const at = (performance.now() - started) / 1000;
      if (marks.url === undefined && output.includes('Plumbline is running:')) marks.url = at;
      if (marks.deployed === undefined && /reconciled repo=local\/demo/.test(output)) {
        marks.deployed = at;
      }
      if (marks.deployed !== undefined && /sweep: in sync repo=local\/demo/.test(output)) {
        marks.swept = at;
        clearTimeout(timer);
        done();
      }
    });
  });
  // npm starts node in its own process group: end the group, then clean up.
  process.kill(-(child.pid as number), 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return marks as { url: number; deployed: number; swept: number };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n: number | undefined) => `${(n ?? Number.NaN).toFixed(1)} s`;
console.log(`npm start in ${checkout}, ${runs} runs, each on a fresh data directory:`);
console.log(`  URL printed:          median ${fmt(median(results.map((r) => r.url)))}`);
console.log(`  first deploy (log):   median ${fmt(median(results.map((r) => r.deployed)))}`);
console.log(`  first sweep in sync:  median ${fmt(median(results.map((r) => r.swept)))}`);
console.log(`  runs: ${results.map((r) => fmt(r.deployed)).join(', ')}`);
