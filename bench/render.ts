/**
 * `npm run bench:render`: `plumbline render` against `kustomize build` (the test environment's
 * binary) on a generated monorepo, in the same run, outputs compared byte for byte. Plumbline
 * runs as users run it: the npm package's bundled bin (built first, into a temporary
 * directory), with Node's compile cache warmed by one run, as any second run finds it:
 *   1. whole repository: one plumbline process rendering every app vs one kustomize process
 *      per app (what each tool's users run);
 *   2. per app: one plumbline process per app vs one kustomize process per app;
 *   3. one 5,000-object app: wall time and peak memory of each (Workers allow 128 MB);
 *   4. the smallest app, one process each, the tools alternating (issue 16's start-up target:
 *      at or below kustomize). `npm run bench:render -- --small` runs this one alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../scripts/build.ts';
import { binary } from '../test/env/paths.ts';
import { type Measurement, measure } from './render/measure.ts';
import { generateMonorepo } from './render/monorepo.ts';

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
  const pkg = mkdtempSync(join(tmpdir(), 'plumbline-bench-package-'));
  await build(join(pkg, 'dist'));
  writeFileSync(join(pkg, 'package.json'), '{"type":"module"}\n');
  const cli = join(pkg, 'dist', 'plumbline.js');
  const cacheEnv = { NODE_COMPILE_CACHE: join(pkg, 'node-compile-cache') };
  const repo = generateMonorepo(root);
  const plumbline = (dirs: string[]) =>
    measure(node, [cli, 'render', '--root', root, ...dirs], root, cacheEnv);
  const kustomizeBuild = (dir: string) => measure(kustomize, ['build', dir], root);

  // Warm the file cache and Node's compile cache so neither tool pays for a cold disk.
  check(await plumbline([repo.apps[0] as string]), 'warm-up plumbline');
  check(await kustomizeBuild(repo.apps[0] as string), 'warm-up kustomize');

  // The smallest app, one process each, alternating the tools so load hits both alike.
  const small = repo.apps[0] as string;
  const smallK: Measurement[] = [];
  const smallP: Measurement[] = [];
  for (let i = 0; i < 20; i++) {
    const k = await kustomizeBuild(small);
    check(k, 'kustomize build (small app)');
    smallK.push(k);
    const p = await plumbline([small]);
    check(p, 'plumbline render (small app)');
    smallP.push(p);
  }
  const median = (ms: Measurement[], of: (m: Measurement) => number) => {
    const sorted = ms.map(of).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const smallObjects = (smallK[0]?.stdout ?? '').split(/^---$/m).length;

  const smallLines = [
    `small app (${small}, ${smallObjects} objects), one process each, median of ${smallK.length}:`,
    `  kustomize build                        ${median(smallK, (m) => m.wallMs)
      .toFixed(1)
      .padStart(7)} ms   peak ${mb(median(smallK, (m) => m.peakKb))}`,
    `  plumbline render                       ${median(smallP, (m) => m.wallMs)
      .toFixed(1)
      .padStart(7)} ms   peak ${mb(median(smallP, (m) => m.peakKb))}`,
    `  ratio (plumbline / kustomize)          ${(median(smallP, (m) => m.wallMs) / median(smallK, (m) => m.wallMs)).toFixed(2)}`,
    '',
  ];
  // Issue 16: one small app, one process, at or below kustomize's time.
  const smallMet = median(smallP, (m) => m.wallMs) <= median(smallK, (m) => m.wallMs);
  if (process.argv.includes('--small')) {
    process.stdout.write(smallLines.join('\n'));
    process.stdout.write(
      `target (small app at or below kustomize): ${smallMet ? 'met' : 'NOT met'}\n`,
    );
    process.exitCode = smallMet ? 0 : 1;
  } else {
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
    // The same with no compile cache at all: a first run after installing.
    const bigCold = await measure(node, [cli, 'render', '--root', root, repo.bigApp], root, {
      NODE_DISABLE_COMPILE_CACHE: '1',
    });
    check(bigCold, 'plumbline render (big app, no compile cache)');
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
      ...smallLines,
      `one app of ${repo.bigObjects} objects:`,
      `  kustomize build                        ${secs(bigK.wallMs).padStart(9)}   peak ${mb(bigK.peakKb)}`,
      `  plumbline render                       ${secs(bigP.wallMs).padStart(9)}   peak ${mb(bigP.peakKb)} (limit 128 MB: ${bigP.peakKb < 128 * 1024 ? 'within' : 'OVER'})`,
      `  plumbline render, no compile cache     ${secs(bigCold.wallMs).padStart(9)}   peak ${mb(bigCold.peakKb)}`,
      `  speed-up ${(bigK.wallMs / bigP.wallMs).toFixed(1)}x   output identical: ${bigP.stdout === bigK.stdout && bigCold.stdout === bigK.stdout ? 'yes' : 'NO'}`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const targets = [
      wholeIdentical,
      perAppIdentical === apps,
      bigP.stdout === bigK.stdout,
      kustomizeWall / whole.wallMs >= 3,
      bigP.peakKb < 128 * 1024,
      smallMet,
    ];
    if (targets.some((ok) => !ok)) {
      process.stdout.write('targets: NOT all met\n');
      process.exitCode = 1;
    } else
      process.stdout.write(
        'targets: met (>= 3x faster whole-repo, identical output, < 128 MB, small app <= kustomize)\n',
      );
  }
  rmSync(pkg, { recursive: true, force: true });
} finally {
  rmSync(root, { recursive: true, force: true });
}
