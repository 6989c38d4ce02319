/**
 * `npm run bench:render-memory [megabytes] [--kustomize]`: peak memory of a render as a
 * multiple of its input (issue 11: 31 MB of manifests once held 2.5 GB). One generated app of
 * that size (default 31 MB), every object transformed; measured in fresh processes:
 *   1. renderApp in-process: growth of the resident set during the render (VmHWM after, minus
 *      VmRSS before, the input already loaded), divided by the input;
 *   2. the same through the render sandbox (the worker thread's memory is the process's), the
 *      way `plumbline serve` renders;
 *   3. `plumbline render` (reading the files and printing the YAML too): peak resident set of
 *      the whole process;
 *   4. with `--kustomize`, `kustomize build` of the same app, its peak and whether the output
 *      is identical (slow: kustomize takes minutes on the 8 MB app, patching every Deployment).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary } from '../../test/env/paths.ts';
import { generateLargeApp } from './large-app.ts';
import { measure } from './measure.ts';

const args = process.argv.slice(2);
const megabytes = Number(args.find((a) => !a.startsWith('--')) ?? 31);
const compare = args.includes('--kustomize');
const node = process.execPath;
const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../functions/cli.ts', import.meta.url));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Probe {
  input: number;
  objects: number;
  before: number;
  peak: number;
  ms: number;
}

function runProbe(root: string, sandbox: boolean): Probe {
  const out = execFileSync(node, ['--expose-gc', probe, root, ...(sandbox ? ['--sandbox'] : [])], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Probe;
}

const root = mkdtempSync(join(tmpdir(), 'plumbline-bench-memory-'));
try {
  const app = generateLargeApp(root, megabytes);
  const lines = [
    `render memory: ${mb(app.bytes)} of manifests, ${app.objects} objects, every one transformed`,
  ];
  for (const sandbox of [false, true]) {
    const p = runProbe(root, sandbox);
    const growth = p.peak - p.before;
    lines.push(
      `  ${sandbox ? 'render sandbox     ' : 'renderApp in-process'}  peak growth ${mb(growth).padStart(7)} = ${(growth / p.input).toFixed(1)}x the input   (${(p.ms / 1000).toFixed(1)} s)`,
    );
  }
  const plumbline = await measure(node, [cli, 'render', '--root', root, app.app], root);
  if (plumbline.status !== 0) throw new Error(`plumbline render failed: ${plumbline.stderr}`);
  lines.push(
    `  plumbline render (CLI)   peak ${mb(plumbline.peakKb * 1024).padStart(7)} = ${((plumbline.peakKb * 1024) / app.bytes).toFixed(1)}x   (${(plumbline.wallMs / 1000).toFixed(1)} s)`,
  );
  if (compare) {
    const kustomize = await measure(binary('kustomize'), ['build', app.app], root);
    if (kustomize.status !== 0) throw new Error(`kustomize build failed: ${kustomize.stderr}`);
    lines.push(
      `  kustomize build          peak ${mb(kustomize.peakKb * 1024).padStart(7)} = ${((kustomize.peakKb * 1024) / app.bytes).toFixed(1)}x   (${(kustomize.wallMs / 1000).toFixed(1)} s)`,
      `  output identical: ${plumbline.stdout === kustomize.stdout ? 'yes' : 'NO'}`,
    );
    if (plumbline.stdout !== kustomize.stdout) process.exitCode = 1;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
