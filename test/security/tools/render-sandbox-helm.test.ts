/**
 * Helm charts render inside the render sandbox: the worker thread builds its own helm support
 * from helm's environment variables (no credential among them) and runs the real helm from
 * there, with the same objects, charts and digest as a render in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRenderSandbox } from '../../../functions/node/render-sandbox.ts';
import { RenderError } from '../../../lib/errors.ts';
import type { HelmSupport } from '../../../lib/render/helm-renderer.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { binary } from '../../env/paths.ts';
import { webChart } from '../../tools/render/helm-charts.ts';
import { testHelmSupport } from '../../tools/render/helm-harness.ts';

/** Helm support of the caller that must never run: the sandbox builds its own. */
const callerHelm: HelmSupport = {
  renderer: {
    template() {
      throw new Error('helm ran in the calling process, not in the sandbox');
    },
  },
  lock: 'verify',
};

const files = {
  'app/kustomization.yaml':
    'namespace: store\nhelmCharts:\n- name: web\n  releaseName: shop\n  valuesInline:\n    replicaCount: 3\ncommonLabels:\n  team: blue\n',
  ...webChart('app/charts/web'),
};

describe('helm charts in the render sandbox', { timeout: 120_000 }, () => {
  const cache = mkdtempSync(join(tmpdir(), 'plumbline-sandbox-charts-'));
  const sandbox = createRenderSandbox({
    helmEnv: { PLUMBLINE_HELM: binary('helm'), PLUMBLINE_CHART_CACHE_DIR: cache },
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(cache, { recursive: true, force: true });
  });

  it('inflate with helm run from the worker, as a render in this process does', async () => {
    const tree = new MemoryFileTree(files);
    const inProcess = await renderApp(tree, 'app', { helm: testHelmSupport(cache), app: 'shop' });
    const sandboxed = await sandbox(tree, 'app', { helm: callerHelm, app: 'shop' });
    expect(inProcess.objects.length).toBeGreaterThan(0);
    expect(sandboxed.objects).toEqual(inProcess.objects);
    expect(sandboxed.charts).toEqual(inProcess.charts);
    expect(sandboxed.charts.map((c) => c.path)).toEqual(['app/charts/web']);
    expect(sandboxed.digest).toBe(inProcess.digest);
  });

  it("render an app's helm: source from plumbline.yaml in the worker", async () => {
    const tree = new MemoryFileTree({
      'deploy/shop/values.yaml': 'replicaCount: 2\n',
      ...webChart('deploy/shop/charts/web'),
    });
    const helmSource = {
      helm: { name: 'web', releaseName: 'shop', valuesFile: 'values.yaml' },
      namespace: 'store',
    };
    const inProcess = await renderApp(tree, 'deploy/shop', {
      helm: testHelmSupport(cache),
      app: 'shop',
      helmSource,
    });
    const sandboxed = await sandbox(tree, 'deploy/shop', {
      helm: callerHelm,
      app: 'shop',
      helmSource,
    });
    expect(sandboxed.objects).toEqual(inProcess.objects);
    expect(sandboxed.digest).toBe(inProcess.digest);
    expect(sandboxed.charts.map((c) => c.path)).toEqual(['deploy/shop/charts/web']);
  });

  it('refuse a chart as renderApp does when the caller has no helm', async () => {
    const tree = new MemoryFileTree(files);
    const inProcess = await renderApp(tree, 'app').catch((e: unknown) => e);
    const sandboxed = await sandbox(tree, 'app').catch((e: unknown) => e);
    expect(inProcess).toBeInstanceOf(RenderError);
    expect(sandboxed).toBeInstanceOf(RenderError);
    expect((sandboxed as RenderError).message).toBe((inProcess as RenderError).message);
  });

  it("report helm's failure from the worker as a render error naming the chart", async () => {
    const broken = createRenderSandbox({ helmEnv: { PLUMBLINE_HELM: '/nonexistent/helm' } });
    try {
      const tree = new MemoryFileTree(files);
      const error = await broken(tree, 'app', { helm: callerHelm }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).message).toMatch(/web/);
      expect((error as RenderError).message).toMatch(/helm/);
    } finally {
      await broken.close();
    }
  });
});
