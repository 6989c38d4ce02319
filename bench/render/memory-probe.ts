/**
 * Child process of the memory benchmark: reads an app's files into memory (the input), then
 * renders it in-process or in the render sandbox, and prints the resident set before the
 * render and its high-water mark after (`/proc/self/status`, the high-water mark reset first).
 * Usage: node bench/render/memory-probe.ts <root> [--sandbox]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRenderSandbox } from '../../functions/node/render-sandbox.ts';
import { renderApp } from '../../lib/render/index.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';

const root = process.argv[2] as string;
const sandboxed = process.argv.includes('--sandbox');
const files = new Map<string, Uint8Array>();
let input = 0;
for (const name of readdirSync(join(root, 'app'))) {
  const bytes = new Uint8Array(readFileSync(join(root, 'app', name)));
  files.set(`app/${name}`, bytes);
  input += bytes.byteLength;
}
const tree = new MemoryFileTree(files);
const status = (field: string) =>
  Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))?.[1]) *
  1024;
const render = sandboxed ? createRenderSandbox() : renderApp;
if (sandboxed) {
  // Start the standby worker before measuring, as a running server would have it.
  await (render as ReturnType<typeof createRenderSandbox>)(tree, 'missing').catch(() => {});
}
globalThis.gc?.();
const before = status('VmRSS');
writeFileSync('/proc/self/clear_refs', '5');
const started = performance.now();
const result = await render(tree, 'app');
const ms = performance.now() - started;
const peak = status('VmHWM');
process.stdout.write(
  `${JSON.stringify({ input, objects: result.objects.length, before, peak, ms: Math.round(ms) })}\n`,
);
if (sandboxed) await (render as ReturnType<typeof createRenderSandbox>).close();
