/**
 * The render sandbox alone, as the scale server uses it: one fresh worker per app (from the
 * bundle, as installed), one app of the scale benchmark's 20 objects rendered `RENDERS` times.
 * Prints the process CPU per render (main thread and workers together), so the sandbox's share
 * of a sweep's per-app CPU can be measured without a cluster.
 *
 *   node bench/scale/sandbox-probe.ts [RENDERS]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRenderSandbox } from '../../functions/node/render-sandbox.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';
import { bundleNodeEntry } from '../measure/node-bundle.ts';
import { appManifests } from './app-manifests.ts';

const renders = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'plumbline-sandbox-probe-'));
try {
  const worker = await bundleNodeEntry(
    fileURLToPath(new URL('../../functions/node/render-sandbox-worker.ts', import.meta.url)),
    dir,
    'render-sandbox-worker',
  );
  const sandbox = createRenderSandbox({ workerUrl: pathToFileURL(worker) });
  const tree = new MemoryFileTree({ 'apps/app-0000/objects.yaml': appManifests(0, 0) });
  await sandbox(tree, 'apps/app-0000'); // the first standby is started here
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < renders; i++) await sandbox(tree, 'apps/app-0000');
  const used = process.cpuUsage(cpu);
  console.log(
    `${renders} renders: ${((used.user + used.system) / 1000 / renders).toFixed(1)} ms CPU and ${(
      (performance.now() - started) / renders
    ).toFixed(1)} ms wall per render`,
  );
  await sandbox.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
