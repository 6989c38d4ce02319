/**
 * `npm run bench:render`: `plumbline render` against `kustomize build` (the test environment's
 * binary) on a generated monorepo, in the same run, outputs compared byte for byte:
 *   1. whole repository: one plumbline process rendering every app vs one kustomize process
 *      per app (what each tool's users run);
 *   2. per app: one plumbline process per app vs one kustomize process per app;
 *   3. one 5,000-object app: wall time and peak memory of each (Workers allow 128 MB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary } from '../test/env/paths.ts';
import { type Measurement, measure } from './render/measure.ts';
import { generateMonorepo } from './render/monorepo.ts';

const cli = fileURLToPath(new URL('../functions/cli.ts', import.meta.url));
const node = process.execPath;
const kustomize = binary('kustomize');

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MB`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function check(m: Measurement, what: string): void {
  if (m.status !== 0) throw new Error(`${what} failed (${m.status}): ${m.stderr}`);
}

const root = mkdtempSync(join(tmpdir(), 'plumbline-bench-render-'));
try {
  const repo = generateMonorepo(root);
  const plumbline = (dirs: string[]) =>
    measure(node, [cli, 'render', '--root', root, ...dirs], root);
  const kustomizeBuild = (dir: string) => measure(kustomize, ['build', dir], root);

  // Warm the file cache and Node's compile cache so neither tool pays for a cold disk.
  check(await plumbline([repo.apps[0] as string]), 'warm-up plumbline');
  check(await kustomizeBuild(repo.apps[0] as string), 'warm-up kustomize');

  const kustomizeRuns: Measurement[] = [];
  for (const app of repo.apps) {
    const m = await kustomizeBuild(app);
    check(m, `kustomize build ${app}`);
    kustomizeRuns.push(m);
  }
  const kustomizeWall = kustomizeRuns.reduce((sum, m) => sum + m.wallMs, 0);
  const kustomizePeak = Math.max(...kustomizeRuns.map((m) => m.peakKb));
  const expected = kustomizeRuns
    .map((m) => m.stdout)
    .filter((s) => s !== '')
    .join('---\n');
  const objects = expected.split(/^---$/m).length;

  const whole = await plumbline(repo.apps);
  check(whole, 'plumbline render (all apps)');
  const wholeIdentical = whole.stdout === expected;

  const perApp: Measurement[] = [];
  let perAppIdentical = 0;
  for (const [i, app] of repo.apps.entries()) {
    const m = await plumbline([app]);
    check(m, `plumbline render ${app}`);
    perApp.push(m);
    if (m.stdout === kustomizeRuns[i]?.stdout) perAppIdentical++;
  }
  const perAppWall = perApp.reduce((sum, m) => sum + m.wallMs, 0);
  const perAppPeak = Math.max(...perApp.map((m) => m.peakKb));

  const bigK = await kustomizeBuild(repo.bigApp);
  check(bigK, 'kustomize build (big app)');
  const bigP = await plumbline([repo.bigApp]);
  check(bigP, 'plumbline render (big app)');
  // Node strips TypeScript types with a WebAssembly module on every cold load; with its compile
  // cache for every module (as an installed, precompiled CLI would behave) that cost is gone.
  const cacheEnv = { NODE_COMPILE_CACHE: join(root, '.node-compile-cache') };
  check(
    await measure(node, [cli, 'render', '--root', root, repo.bigApp], root, cacheEnv),
    'warm-up',
  );
  const bigCached = await measure(
    node,
    [cli, 'render', '--root', root, repo.bigApp],
    root,
    cacheEnv,
  );
  check(bigCached, 'plumbline render (big app, compile cache)');

  const apps = repo.apps.length;
  const lines = [
    `render benchmark: ${apps} apps, ${objects} objects (kustomize ${kustomize})`,
    '',
    'whole repository (every app):',
    `  kustomize build, one process per app   ${secs(kustomizeWall).padStart(9)}   peak ${mb(kustomizePeak)}`,
    `  plumbline render, one process          ${secs(whole.wallMs).padStart(9)}   peak ${mb(whole.peakKb)}`,
    `  speed-up                               ${(kustomizeWall / whole.wallMs).toFixed(1)}x   output identical: ${wholeIdentical ? 'yes' : 'NO'}`,
    '',
    'per app (one process per app, mean):',
    `  kustomize build                        ${(kustomizeWall / apps).toFixed(1).padStart(7)} ms`,
    `  plumbline render                       ${(perAppWall / apps).toFixed(1).padStart(7)} ms   peak ${mb(perAppPeak)}`,
    `  speed-up                               ${(kustomizeWall / perAppWall).toFixed(2)}x   identical: ${perAppIdentical}/${apps}`,
    '',
    `one app of ${repo.bigObjects} objects:`,
    `  kustomize build                        ${secs(bigK.wallMs).padStart(9)}   peak ${mb(bigK.peakKb)}`,
    `  plumbline render                       ${secs(bigP.wallMs).padStart(9)}   peak ${mb(bigP.peakKb)} (limit 128 MB: ${bigP.peakKb < 128 * 1024 ? 'within' : 'OVER'})`,
    `  plumbline render, compile cache warm   ${secs(bigCached.wallMs).padStart(9)}   peak ${mb(bigCached.peakKb)}`,
    `  speed-up ${(bigK.wallMs / bigP.wallMs).toFixed(1)}x   output identical: ${bigP.stdout === bigK.stdout && bigCached.stdout === bigK.stdout ? 'yes' : 'NO'}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const targets = [
    wholeIdentical,
    perAppIdentical === apps,
    bigP.stdout === bigK.stdout,
    kustomizeWall / whole.wallMs >= 3,
    bigP.peakKb < 128 * 1024,
  ];
  if (targets.some((ok) => !ok)) {
    process.stdout.write('targets: NOT all met\n');
    process.exitCode = 1;
  } else
    process.stdout.write('targets: met (>= 3x faster whole-repo, identical output, < 128 MB)\n');
} finally {
  rmSync(root, { recursive: true, force: true });
}
