/**
 * First-run benchmark: the time from `npm start` (nothing configured, a fresh data directory)
 * to the demo's first deploy, read from the log line that records it and from the status page's
 * API (what a person sees: the app applied on the page); then to the first sweep that finds
 * the app in sync. Run in a fresh clone after `npm install` to measure what a new
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

/** Seconds since `started` at which the page's overview first shows `local/demo` applied. */
async function onThePage(base: string, started: number, deadline: number): Promise<number> {
  while (performance.now() < deadline) {
    try {
      const response = await fetch(new URL('/api/v1/overview', base));
      const overview = (await response.json()) as {
        apps?: { repo: string; applied?: { sha?: string } }[];
      };
      if (overview.apps?.some((a) => a.repo === 'local/demo' && a.applied?.sha)) {
        return (performance.now() - started) / 1000;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the demo never showed as applied on the status page');
}

async function once(): Promise<{ url: number; deployed: number; page: number; swept: number }> {
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
  const marks: { url?: number; deployed?: number; page?: number; swept?: number } = {};
  let output = '';
  let page: Promise<number> | undefined;
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no deploy within 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const at = (performance.now() - started) / 1000;
      const running = /Plumbline is running: (http\S+)/.exec(output);
      if (marks.url === undefined && running?.[1]) {
        marks.url = at;
        page = onThePage(running[1], started, started + 120_000);
      }
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
  marks.page = await (page as Promise<number>);
  // npm starts node in its own process group: end the group, then clean up.
  process.kill(-(child.pid as number), 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return marks as { url: number; deployed: number; page: number; swept: number };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n: number | undefined) => `${(n ?? Number.NaN).toFixed(1)} s`;
console.log(`npm start in ${checkout}, ${runs} runs, each on a fresh data directory:`);
console.log(`  URL printed:          median ${fmt(median(results.map((r) => r.url)))}`);
console.log(`  first deploy (log):   median ${fmt(median(results.map((r) => r.deployed)))}`);
console.log(`  first deploy (page):  median ${fmt(median(results.map((r) => r.page)))}`);
console.log(`  first sweep in sync:  median ${fmt(median(results.map((r) => r.swept)))}`);
console.log(`  runs (page): ${results.map((r) => fmt(r.page)).join(', ')}`);
