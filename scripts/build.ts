/**
 * `npm run build`: bundles what the npm package and the GitHub Action run, with every
 * dependency inside (the package installs nothing else):
 *   dist/plumbline.js            the `plumbline` bin: Node version check, compile cache, then
 *   dist/cli.js                  the CLI, whose sub-commands and stages are chunks loaded
 *   dist/chunks/*.js             when used (`plumbline render` never loads the cluster client)
 *   dist/render-sandbox-worker.js the render sandbox's worker thread (also under dist/action/)
 *   dist/action/index.js         the GitHub Action's entry (`action.yml`), with its chunks
 *   dist/THIRD-PARTY-NOTICES.md  the licences of the bundled dependencies
 * The version and commit are written in for `plumbline --version`.
 * Run: `node scripts/build.ts [outdir]` (default `dist`).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build as esbuild, type Metafile } from 'esbuild';
import { gitCommit } from '../functions/cli/version.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

/** What a build wrote. */
export interface BuildResult {
  outdir: string;
  version: string;
  commit: string;
  /** Bytes of every file written, by path relative to `outdir`. */
  files: Record<string, number>;
}

/**
 * An ESM bundle still meets CommonJS dependencies that call `require` (for Node built-ins):
 * give each output file a `require` of its own.
 */
const requireBanner =
  "import { createRequire as __plumblineCreateRequire } from 'node:module'; const require = __plumblineCreateRequire(import.meta.url);";

function options(outdir: string, define: Record<string, string>): BuildOptions {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node the package supports (functions/cli/node-version.ts).
    target: 'node22.19',
    splitting: true,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: requireBanner },
    define,
    // Smaller files parse faster; names are kept so stack traces stay readable.
    minifySyntax: true,
    minifyWhitespace: true,
    // Licences go to THIRD-PARTY-NOTICES.md whole, not as scattered comments.
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  };
}

/** The package directory of a bundled input (`node_modules/@scope/name/...`), if any. */
function packageDirOf(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/**
 * Every bundled package with its licence, the texts grouped: many packages share one text
 * (the Apache and MIT licences of a family of packages), printed once with all their names.
 */
function thirdPartyNotices(metafiles: Metafile[]): string {
  const dirs = new Set<string>();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const dir = packageDirOf(input);
      if (dir) dirs.add(dir);
    }
  }
  const byText = new Map<string, Set<string>>();
  for (const dir of dirs) {
    const absolute = resolve(root, dir);
    const manifest = JSON.parse(readFileSync(join(absolute, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const files = readdirSync(absolute)
      .filter((name) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(name))
      .sort()
      .map((name) => readFileSync(join(absolute, name), 'utf8').trim());
    const text =
      files.length > 0
        ? files.join('\n\n')
        : `(no licence file in the package; its package.json says: ${manifest.license ?? 'nothing'})`;
    const names = byText.get(text) ?? new Set<string>();
    names.add(`${manifest.name}@${manifest.version} (${manifest.license ?? 'unknown'})`);
    byText.set(text, names);
  }
  const sections = [...byText.entries()]
    .map(([text, names]) => ({ names: [...names].sort(), text }))
    .sort((a, b) => ((a.names[0] ?? '') < (b.names[0] ?? '') ? -1 : 1))
    .map(({ names, text }) =>
      [...names.map((name) => `- ${name}`), '', '```', text, '```', ''].join('\n'),
    );
  return [
    '# Third-party notices',
    '',
    `Plumbline bundles ${dirs.size} packages into this directory. Each group below lists packages`,
    'and the licence text they ship.',
    '',
    ...sections,
  ].join('\n');
}

function sizes(outdir: string): Record<string, number> {
  const files: Record<string, number> = {};
  for (const entry of readdirSync(outdir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(outdir.length + 1)] = readFileSync(path).byteLength;
  }
  return files;
}

/** Builds the package and the Action into `outdir` (emptied first). */
export async function build(outdir: string = join(root, 'dist')): Promise<BuildResult> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const commit = gitCommit(root);
  const define = {
    PLUMBLINE_VERSION: JSON.stringify(version),
    PLUMBLINE_COMMIT: JSON.stringify(commit),
  };
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const cli = await esbuild({
    ...options(outdir, define),
    entryPoints: [
      { in: 'functions/cli.ts', out: 'cli' },
      // Started as a worker thread by `serve` and `sweep` (functions/node/render-sandbox.ts).
      { in: 'functions/node/render-sandbox-worker.ts', out: 'render-sandbox-worker' },
    ],
  });
  // The bin stays apart from the bundle, in ES2017, so that any Node can parse it and say
  // which version Plumbline needs; it loads `cli.js` only once the version is right.
  await esbuild({
    ...options(outdir, define),
    entryPoints: [{ in: 'functions/plumbline.ts', out: 'plumbline' }],
    splitting: false,
    target: 'es2017',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [
      {
        name: 'cli-beside',
        setup(plugin) {
          plugin.onResolve({ filter: /^\.\/cli\.ts$/ }, () => ({
            path: './cli.js',
            external: true,
          }));
        },
      },
    ],
  });
  const action = await esbuild({
    ...options(join(outdir, 'action'), define),
    entryPoints: [
      { in: 'functions/action.ts', out: 'index' },
      { in: 'functions/node/render-sandbox-worker.ts', out: 'render-sandbox-worker' },
    ],
  });
  // The output is ES modules whatever directory it is copied to. Without a package.json saying
  // so, Node meets `import` in a `.js` file outside any "type": "module" package by parsing it
  // as CommonJS first, failing, and parsing it again as a module: every chunk twice per start
  // (about 40 ms of a small render). The package's own package.json says so too.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(outdir, 'THIRD-PARTY-NOTICES.md'),
    thirdPartyNotices([cli.metafile as Metafile, action.metafile as Metafile]),
  );
  return { outdir, version, commit, files: sizes(outdir) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = resolve(process.argv[2] ?? join(root, 'dist'));
  const result = await build(outdir);
  const total = Object.values(result.files).reduce((sum, bytes) => sum + bytes, 0);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  process.stdout.write(
    `built plumbline ${result.version} (commit ${result.commit}) into ${outdir}: ` +
      `${Object.keys(result.files).length} files, ${kib(total)}\n`,
  );
}
