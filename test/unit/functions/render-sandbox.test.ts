import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFlowDeps } from '../../../functions/node/reconciler.ts';
import { createRenderSandbox, sandboxHelmEnv } from '../../../functions/node/render-sandbox.ts';
import { DecryptError, RenderError } from '../../../lib/errors.ts';
import { isDataMap } from '../../../lib/render/data-map.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const files = {
  'app/kustomization.yaml':
    'resources: [cm.yaml, ../base]\nnamePrefix: p-\nsecretGenerator:\n- name: s\n  envs: [s.env]\n',
  'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n',
  'app/s.env': 'ENC',
  'base/kustomization.yaml': 'resources: [d.yaml]\n',
  'base/d.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x, envFrom: [{secretRef: {name: s}}]}]\n',
};

const decryptor = {
  async decrypt(path: string) {
    return path.endsWith('.env') ? { plaintext: new TextEncoder().encode('k=v') } : undefined;
  },
};

// Each render starts a thread that loads the render code: allow for a busy machine.
describe('createRenderSandbox', { timeout: 90_000 }, () => {
  const sandbox = createRenderSandbox();
  afterAll(() => sandbox.close());

  it('renders exactly as renderApp does, with data maps in the result', async () => {
    const tree = new MemoryFileTree(files);
    const inProcess = await renderApp(tree, 'app', { decryptor });
    const sandboxed = await sandbox(tree, 'app', { decryptor });
    expect(sandboxed).toEqual(inProcess);
    expect(sandboxed.objects.every(isDataMap)).toBe(true);
  });

  it('gives back render errors as they were: class, message, file and hint', async () => {
    const tree = new MemoryFileTree({ ...files, 'app/cm.yaml': 'kind: ConfigMap\nmetadata: {}\n' });
    const error = await sandbox(tree, 'app').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe('app/cm.yaml: a ConfigMap has no metadata.name');
    expect((error as RenderError).file).toBe('app/cm.yaml');
    expect((error as RenderError).hint).toMatch(/name on every object/);
  });

  it("passes a decryptor's refusal through as a DecryptError naming the file", async () => {
    const error = await sandbox(new MemoryFileTree(files), 'app', {
      decryptor: {
        async decrypt(path) {
          if (path.endsWith('.env'))
            throw new DecryptError(`${path}: MAC mismatch`, { file: path });
          return undefined;
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as DecryptError).message).toBe('app/s.env: MAC mismatch');
  });

  it('applies the render limits it is given', async () => {
    const error = await sandbox(new MemoryFileTree(files), 'app', {
      limits: { maxObjects: 1 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toMatch(/more than 1 objects/);
  });

  it('stops a render that outlives its time limit', async () => {
    const hurried = createRenderSandbox({ timeoutMs: 1 });
    const error = await hurried(new MemoryFileTree(files), 'app').catch((e: unknown) => e);
    await hurried.close();
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      'app: the render took longer than 0 s and was stopped',
    );
  });

  it('stops a render that outgrows its memory limit', async () => {
    const value = 'x'.repeat(3 * 1024 * 1024);
    const big: Record<string, string> = {
      'app/kustomization.yaml': `resources: [${Array.from({ length: 10 }, (_, f) => `m${f}.yaml`).join(', ')}]\n`,
    };
    for (let f = 0; f < 10; f++) {
      big[`app/m${f}.yaml`] =
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${f}}\ndata:\n  a: ${value}\n`;
    }
    const small = createRenderSandbox({ resourceLimits: { maxOldGenerationSizeMb: 16 } });
    const error = await small(new MemoryFileTree(big), 'app').catch((e: unknown) => e);
    await small.close();
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      "app: the render used more than the sandbox's 16 MB of memory and was stopped",
    );
  });
});

describe("the sandbox's compile cache", { timeout: 90_000 }, () => {
  const uid = process.getuid?.() ?? 0;
  const cacheName = `plumbline-sandbox-cache-${uid}`;
  const withParent = async (test: (parent: string) => Promise<void>) => {
    const parent = mkdtempSync(join(tmpdir(), 'sandbox-cache-test-'));
    try {
      await test(parent);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  };
  const tree = new MemoryFileTree(files);

  it("is the user's own, fills with the first worker and serves the next, in this process and the next", async () => {
    await withParent(async (parent) => {
      const expected = await renderApp(tree, 'app', { decryptor });
      const first = createRenderSandbox({ cacheParent: parent });
      expect(await first(tree, 'app', { decryptor })).toEqual(expected);
      expect(readdirSync(parent)).toEqual([cacheName]);
      const dir = join(parent, cacheName);
      // Only this user may read or write code there.
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const entries = readdirSync(dir, { recursive: true });
      expect(entries.length).toBeGreaterThan(0);
      // Later workers read the cache and render the same.
      for (let i = 0; i < 2; i++) expect(await first(tree, 'app', { decryptor })).toEqual(expected);
      await first.close();
      // Kept for the next process (one directory per user, whatever stops a process).
      const second = createRenderSandbox({ cacheParent: parent });
      expect(await second(tree, 'app', { decryptor })).toEqual(expected);
      await second.close();
      expect(readdirSync(parent)).toEqual([cacheName]);
    });
  });

  it('is not used when others may write to it, or when it is a symlink', async () => {
    await withParent(async (parent) => {
      const expected = await renderApp(tree, 'app', { decryptor });
      const open = join(parent, cacheName);
      mkdirSync(open);
      chmodSync(open, 0o777);
      const sandbox = createRenderSandbox({ cacheParent: parent });
      expect(await sandbox(tree, 'app', { decryptor })).toEqual(expected);
      await sandbox.close();
      expect(readdirSync(open)).toEqual([]);
    });
    await withParent(async (parent) => {
      const expected = await renderApp(tree, 'app', { decryptor });
      const elsewhere = join(parent, 'elsewhere');
      mkdirSync(elsewhere, { mode: 0o700 });
      symlinkSync(elsewhere, join(parent, cacheName));
      const sandbox = createRenderSandbox({ cacheParent: parent });
      expect(await sandbox(tree, 'app', { decryptor })).toEqual(expected);
      await sandbox.close();
      expect(readdirSync(elsewhere)).toEqual([]);
    });
  });
});

describe('the helm environment of the sandbox', () => {
  it("carries helm's own variables and nothing else of the process", () => {
    const env = {
      PATH: '/usr/bin',
      PLUMBLINE_HELM: '/opt/helm',
      PLUMBLINE_HELM_PLAIN_HTTP_HOSTS: 'charts.internal',
      PLUMBLINE_CHART_CACHE_DIR: '/var/cache/charts',
      GITHUB_TOKEN: 'ghp_secret',
      PLUMBLINE_WEBHOOK_SECRET: 'hook-secret',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      SOPS_AGE_KEY: 'AGE-SECRET-KEY-1',
      KUBECONFIG: '/root/.kube/config',
    };
    expect(sandboxHelmEnv(env)).toEqual({
      PATH: '/usr/bin',
      PLUMBLINE_HELM: '/opt/helm',
      PLUMBLINE_HELM_PLAIN_HTTP_HOSTS: 'charts.internal',
      PLUMBLINE_CHART_CACHE_DIR: '/var/cache/charts',
    });
  });

  it('refuses a helm support object that could not enter the sandbox', () => {
    expect(() =>
      nodeFlowDeps({ helm: { renderer: { template: async () => '' } }, sandbox: {} }),
    ).toThrow(/cannot enter the render sandbox; give helmEnv, or sandbox: false/);
  });
});

describe('a process using the sandbox', () => {
  it('ends when its work is done, without closing the sandbox (the Action and sweep do not)', () => {
    const sandboxModule = fileURLToPath(
      new URL('../../../functions/node/render-sandbox.ts', import.meta.url),
    );
    const treeModule = fileURLToPath(new URL('../../../lib/source/file-tree.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-sandbox-exit-'));
    const cacheParent = join(dir, 'cache');
    mkdirSync(cacheParent);
    const script = `
      const { createRenderSandbox } = await import(${JSON.stringify(sandboxModule)});
      const { MemoryFileTree } = await import(${JSON.stringify(treeModule)});
      const render = createRenderSandbox({ cacheParent: ${JSON.stringify(cacheParent)} });
      const ok = await render(new MemoryFileTree({ 'app/cm.yaml': 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\n' }), 'app');
      const failed = await render(new MemoryFileTree({ 'app/cm.yaml': 'metadata: [x\\n' }), 'app').catch(() => 'failed');
      console.log(ok.objects.length, failed);
    `;
    // A hang is what this guards against; the limit is far above a render's time.
    const file = join(dir, 'render.mjs');
    writeFileSync(file, script);
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 80_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('1 failed');
  }, 90_000);
});
