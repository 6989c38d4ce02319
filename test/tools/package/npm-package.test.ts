/**
 * The npm package as users get it: `npm pack` (which builds it), installed from the tarball
 * into an empty directory with the registry out of reach (`--offline`: every dependency is
 * bundled), then run as `plumbline` on the project's Node 24 and on the oldest Node it
 * supports (the test environment's), and refused with one line on the machine's older Node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINIMUM_NODE, nodeSupported } from '../../../functions/cli/node-version.ts';
import { binary, versions } from '../../env/paths.ts';
import { cases } from '../render/cases.ts';
import { writeTree } from '../render/harness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  engines: { node: string };
  bin: Record<string, string>;
};
/** npm from PATH (under `npm test`, it runs on the project's Node). */
const npm = 'npm';

let work: string;
let tarball: string;
let packed: string[];
let local: string;
let global: string;

/** Runs the installed `plumbline` with `node` first on PATH. */
function plumbline(bin: string, args: string[], node = process.execPath, cwd?: string) {
  return spawnSync(bin, args, {
    encoding: 'utf8',
    cwd: cwd ?? work,
    env: {
      PATH: [dirname(node), '/usr/bin', '/bin'].join(delimiter),
      HOME: work,
      NODE_COMPILE_CACHE: join(work, 'compile-cache'),
    },
  });
}

/** The machine's own Node (not the project's), as a user would have it on PATH. */
function machineNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'plumbline-package-'));
  // `npm pack` runs the prepack script: the build.
  const out = execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The prepack build prints a line before npm's JSON.
  const [info] = JSON.parse(out.slice(out.indexOf('[\n'))) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!info) throw new Error(`npm pack printed no package: ${out}`);
  tarball = join(work, info.filename);
  packed = info.files.map((file) => file.path).sort();
  const install = (args: string[]) =>
    execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', ...args, tarball], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  local = join(work, 'project');
  execFileSync('mkdir', ['-p', local]);
  install(['--prefix', local]);
  global = join(work, 'global');
  install(['--global', '--prefix', global]);
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the bundle, the licences and the changelog, and nothing of the sources', () => {
    expect(packed).toContain('package.json');
    expect(packed).toContain('README.md');
    expect(packed).toContain('LICENSE');
    expect(packed).toContain('CHANGELOG.md');
    expect(packed).toContain('dist/plumbline.js');
    expect(packed).toContain('dist/cli.js');
    expect(packed).toContain('dist/THIRD-PARTY-NOTICES.md');
    // serve and sweep render in a worker thread started from this file.
    expect(packed).toContain('dist/render-sandbox-worker.js');
    expect(packed.some((path) => path.startsWith('dist/chunks/'))).toBe(true);
    const unexpected = packed.filter(
      (path) =>
        !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/(plumbline\.js|cli\.js|render-sandbox-worker\.js|THIRD-PARTY-NOTICES\.md|chunks\/[\w-]+\.js))$/.test(
          path,
        ),
    );
    expect(unexpected).toEqual([]);
    const published = JSON.parse(
      readFileSync(join(local, 'node_modules/plumbline/package.json'), 'utf8'),
    );
    expect(published.private).toBeUndefined();
    expect(published.bin).toEqual({ plumbline: 'dist/plumbline.js' });
    expect(published.dependencies ?? {}).toEqual({});
    expect(published.engines.node).toBe(`>=${MINIMUM_NODE}`);
  });

  it('builds a dist that says it is ES modules, wherever it is copied', () => {
    // Without it, Node parses every chunk as CommonJS first, fails, and parses it again as a
    // module: the benchmarks run the build from a directory outside any package.
    const declared = JSON.parse(readFileSync(join(root, 'dist/package.json'), 'utf8'));
    expect(declared).toEqual({ type: 'module' });
    const copy = join(work, 'dist-copy');
    cpSync(join(root, 'dist'), copy, { recursive: true });
    const run = spawnSync(process.execPath, [join(copy, 'plumbline.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('installs offline with no dependency of its own, and links an executable bin', () => {
    const installed = readdirSync(join(local, 'node_modules')).filter(
      (name) => name !== '.package-lock.json',
    );
    expect(installed.sort()).toEqual(['.bin', 'plumbline']);
    const bin = join(local, 'node_modules/.bin/plumbline');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('renders what kustomize builds, from the installed bin', () => {
    const sample = cases.filter((_, i) => i % 16 === 0);
    expect(sample.length).toBeGreaterThan(2);
    for (const c of sample) {
      const tree = writeTree(c.files);
      try {
        const dir = join(tree, c.app ?? 'app');
        const kustomize = spawnSync(binary('kustomize'), ['build', dir], { encoding: 'utf8' });
        const result = plumbline(join(local, 'node_modules/.bin/plumbline'), [
          'render',
          '--root',
          tree,
          dir,
        ]);
        expect(result.status === 0, `${c.name}: ${result.stderr}`).toBe(kustomize.status === 0);
        if (kustomize.status === 0) expect(result.stdout, c.name).toBe(kustomize.stdout);
      } finally {
        rmSync(tree, { recursive: true, force: true });
      }
    }
  });

  it('loads for a render only what a render uses: no helm, cluster, AWS or GitHub code', () => {
    // Start-up is most of a small render (issue 16): a module loaded for nothing costs every run.
    const c = cases[0];
    if (!c) throw new Error('no render case');
    const tree = writeTree(c.files);
    const hook = join(work, 'record-loads.mjs');
    writeFileSync(
      hook,
      [
        "import { registerHooks } from 'node:module';",
        'const loaded = [];',
        'registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });',
        "process.on('exit', () => process.stderr.write(JSON.stringify({ loaded, builtins: process.moduleLoadList })));",
      ].join('\n'),
    );
    try {
      const dir = join(tree, c.app ?? 'app');
      const result = spawnSync(
        process.execPath,
        [
          '--import',
          pathToFileURL(hook).href,
          join(local, 'node_modules/plumbline/dist/plumbline.js'),
          'render',
          '--root',
          tree,
          dir,
        ],
        { encoding: 'utf8', env: { PATH: dirname(process.execPath), HOME: work } },
      );
      expect(result.status, result.stderr).toBe(0);
      const record = JSON.parse(result.stderr.slice(result.stderr.indexOf('{"loaded"'))) as {
        loaded: string[];
        builtins: string[];
      };
      const files = record.loaded.filter((url) => url.startsWith('file:'));
      expect(files.length).toBeGreaterThan(3);
      for (const url of files) {
        const text = readFileSync(fileURLToPath(url), 'utf8');
        for (const marker of [
          'node_modules/undici/',
          '@kubernetes/client-node',
          '@aws-sdk/',
          '@octokit/',
          'node_modules/hono/',
        ])
          expect(text.includes(marker), `${url} holds ${marker}`).toBe(false);
      }
      for (const builtin of [
        'NativeModule child_process',
        'NativeModule dns',
        'NativeModule https',
      ])
        expect(record.builtins).not.toContain(builtin);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });

  it('answers plan --help and serve --help', () => {
    const bin = join(local, 'node_modules/.bin/plumbline');
    const plan = plumbline(bin, ['plan', '--help']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Usage: plumbline plan <dir>');
    const serve = plumbline(bin, ['serve', '--help']);
    expect(serve.status, serve.stderr).toBe(0);
    expect(serve.stdout).toContain('Usage: plumbline serve');
  });

  it('prints its version and the commit it was built from', () => {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const result = plumbline(join(local, 'node_modules/.bin/plumbline'), ['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^plumbline ${manifest.version.replaceAll('.', '\\.')} \\(commit ${commit}(-dirty)?\\)\\n$`,
      ),
    );
  });

  it('runs as a global install', () => {
    const result = plumbline(join(global, 'bin/plumbline'), ['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`plumbline ${manifest.version} (commit `);
  });

  it(`runs on the oldest Node it supports (${versions.NODE_MINIMUM_VERSION})`, () => {
    const node = binary('node');
    expect(versions.NODE_MINIMUM_VERSION).toBe(MINIMUM_NODE);
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${MINIMUM_NODE}`);
    const bin = join(local, 'node_modules/.bin/plumbline');
    const c = cases[0];
    if (!c) throw new Error('no render case');
    const tree = writeTree(c.files);
    try {
      const dir = join(tree, c.app ?? 'app');
      const kustomize = spawnSync(binary('kustomize'), ['build', dir], { encoding: 'utf8' });
      const result = plumbline(bin, ['render', '--root', tree, dir], node);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(kustomize.stdout);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
    const serve = plumbline(bin, ['serve', '--help'], node);
    expect(serve.status, serve.stderr).toBe(0);
  });

  it("refuses the machine's older Node in one line naming the minimum", () => {
    const node = machineNode();
    if (!node) throw new Error('no Node.js on the machine besides the project’s own');
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const result = plumbline(join(local, 'node_modules/.bin/plumbline'), ['render'], node);
    if (nodeSupported(version)) {
      // A machine whose own Node is recent enough simply runs it.
      expect(result.stderr).toContain('name at least one directory');
      return;
    }
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`plumbline needs Node.js ${MINIMUM_NODE} or later`);
    expect(result.stderr).toContain(`this is Node.js ${version}`);
    expect(result.stderr).not.toMatch(/SyntaxError|at file:/);
  });
});
