/**
 * A benchmark's own Node entry (the cluster engine, the scale server) bundled as the npm package
 * bundles the CLI: one ESM file with every dependency inside, so its start-up and memory are an
 * installed Plumbline's, not those of TypeScript sources Node strips at every start.
 */
import { join } from 'node:path';
import { build } from 'esbuild';

/** Bundles `entry` into `dir/<name>.js` and returns the file's path. */
export async function bundleNodeEntry(entry: string, dir: string, name: string): Promise<string> {
  const outfile = join(dir, `${name}.js`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile,
    // CommonJS dependencies call `require` for Node's modules: give the bundle one.
    banner: {
      js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
    },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}
