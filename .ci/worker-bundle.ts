/**
 * The Worker bundle check: builds `functions/cloudflare.ts` exactly as `npm run build:worker`
 * does (`wrangler deploy --dry-run`), reports its size, and fails when the gzip size exceeds
 * Cloudflare's free-plan limit we hold ourselves to (500 KiB) or when a Node-only module got
 * in: a `node:` import, or a package that only works on Node (undici, @kubernetes/client-node,
 * @hono/node-server...). The bundle is minified (wrangler.toml), so imports are found by a scan
 * that reads minified code (`.ci/bundle-imports.ts`).
 * Run: `node .ci/worker-bundle.ts [outdir] [--config wrangler.toml]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runtimeImports } from './bundle-imports.ts';

/** The gzip budget of the bundle. */
const MAX_GZIP_BYTES = 500 * 1024;

/** Packages that need Node (sockets, files, processes), by the path they are bundled from. */
const NODE_ONLY_PACKAGES = [
  'undici',
  '@kubernetes/client-node',
  '@hono/node-server',
  'node-fetch',
  'ws',
  'js-yaml',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const configAt = args.indexOf('--config');
// Another Wrangler config: for checking that this check catches what it should.
const config = configAt >= 0 ? args.splice(configAt, 2)[1] : undefined;
const outdir = args[0] ?? mkdtempSync(join(tmpdir(), 'plumbline-worker-'));
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const build = spawnSync(
  wrangler,
  ['deploy', '--dry-run', '--outdir', outdir, ...(config ? ['--config', config] : [])],
  {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  },
);
if (build.status !== 0) {
  process.stderr.write(`${build.stdout}\n${build.stderr}\nwrangler build failed\n`);
  process.exit(1);
}

// The bundle is named after the entry file.
const bundle = readdirSync(outdir).find((name) => name.endsWith('.js'));
if (!bundle) {
  process.stderr.write(`no bundle in ${outdir}\n`);
  process.exit(1);
}
const code = readFileSync(join(outdir, bundle));
const gzip = gzipSync(code, { level: 9 }).length;
const problems: string[] = [];

// Import specifiers left in the bundle are the runtime modules it needs at load time.
const imports = runtimeImports(code.toString('utf8'));
// The Workers runtime's own modules: Durable Objects, and TCP sockets for SSH host targets.
const WORKERS_MODULES = ['cloudflare:workers', 'cloudflare:sockets'];
for (const specifier of imports) {
  if (!WORKERS_MODULES.includes(specifier)) problems.push(`imports '${specifier}'`);
}

// The source map names every file bundled: no Node-only package may be among them.
const map = JSON.parse(readFileSync(join(outdir, `${bundle}.map`), 'utf8')) as {
  sources: string[];
};
for (const name of NODE_ONLY_PACKAGES) {
  const hits = map.sources.filter((source) => source.includes(`node_modules/${name}/`));
  if (hits.length > 0) problems.push(`bundles ${name} (${hits[0]})`);
}
// `import { z } from 'zod'` keeps every one of zod's ~40 message locales (about 65 KiB gzip);
// `import * as z from 'zod'` lets the bundler keep only what is used (English messages).
const locales = map.sources.filter((source) =>
  /node_modules\/zod\/.*\/locales\/(?!en\.js)/.test(source),
);
if (locales.length > 0) {
  problems.push(
    `bundles ${locales.length} zod locales: import zod as \`import * as z from 'zod'\``,
  );
}
if (gzip > MAX_GZIP_BYTES) {
  problems.push(`gzip size ${(gzip / 1024).toFixed(1)} KiB exceeds ${MAX_GZIP_BYTES / 1024} KiB`);
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
process.stdout.write(
  `worker bundle: ${kib(code.length)} raw, ${kib(gzip)} gzip (budget ${kib(MAX_GZIP_BYTES)}), ` +
    `${map.sources.length} source files, imports: ${[...imports].join(', ') || 'none'}\n`,
);
if (problems.length > 0) {
  process.stderr.write(
    `worker bundle check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write('worker bundle check passed\n');
