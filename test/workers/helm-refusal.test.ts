/**
 * Inside workerd no helm can run: an app with a Helm chart fails to render with an error that
 * says where it can render, and the Worker's flows carry no helm support to reach for.
 */
import { describe, expect, it } from 'vitest';
import { RenderError } from '../../lib/errors.ts';
import { renderApp } from '../../lib/render/index.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';

describe('Helm charts on Workers', () => {
  it('fail to render, naming the app, chart and file and saying where they can render', async () => {
    const tree = new MemoryFileTree({
      'apps/web/kustomization.yaml':
        'helmCharts:\n- name: podinfo\n  repo: oci://ghcr.io/stefanprodan/charts\n  version: 6.5.0\n',
    });
    const error = await renderApp(tree, 'apps/web', { app: 'web' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      'apps/web/kustomization.yaml: helmCharts[0] (chart podinfo 6.5.0 from oci://ghcr.io/stefanprodan/charts, app web): this runtime cannot run helm, so it cannot render Helm charts',
    );
    expect((error as RenderError).hint).toBe(
      'Run this app from the Node runtime (plumbline serve) or the GitHub Action, or commit the rendered output (plumbline render) and deploy that instead.',
    );
  });
});
