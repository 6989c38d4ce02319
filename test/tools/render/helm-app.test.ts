import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { RenderError } from '../../../lib/errors.ts';
import { renderApp, toYaml } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { writeTree } from './harness.ts';
import { webChart } from './helm-charts.ts';
import { kustomizeHelmBuild, testHelmSupport } from './helm-harness.ts';

const config = `apps:
- name: shop
  path: deploy/shop
  target: dev
  namespace: store
  helm:
    name: web
    releaseName: shop
    valuesFile: values.yaml
    valuesInline:
      replicaCount: 2
    postRenderers:
    - kustomize:
        patches:
        - target: {kind: Deployment}
          patch: |
            - op: add
              path: /metadata/annotations
              value: {team: blue}
        images:
        - name: nginx
          newTag: "1.27"
    - kustomize:
        patches:
        - patch: |
            apiVersion: v1
            kind: Service
            metadata:
              name: shop-web
              namespace: store
            spec:
              type: NodePort
`;

describe("an app's helm: source in plumbline.yaml", () => {
  const cache = mkdtempSync(join(tmpdir(), 'plumbline-chart-cache-'));
  const support = testHelmSupport(cache);
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('renders as the equivalent kustomization does under kustomize build --enable-helm', async () => {
    const app = parseRepoConfig(config).apps[0];
    if (app?.kind !== 'kubernetes' || !app.helm) throw new Error('no helm source parsed');
    const files = {
      'deploy/shop/values.yaml': 'service:\n  port: 8080\n  type: ClusterIP\n',
      ...webChart('deploy/shop/charts/web'),
    };
    const equivalent = {
      ...files,
      'deploy/shop/kustomization.yaml': `helmCharts:
- name: web
  releaseName: shop
  namespace: store
  valuesFile: values.yaml
  valuesInline:
    replicaCount: 2
patches:
- target: {kind: Deployment}
  patch: |
    - op: add
      path: /metadata/annotations
      value: {team: blue}
- patch: |
    apiVersion: v1
    kind: Service
    metadata:
      name: shop-web
      namespace: store
    spec:
      type: NodePort
images:
- name: nginx
  newTag: "1.27"
`,
    };
    const root = writeTree(files);
    const reference = writeTree(equivalent);
    try {
      const result = await renderApp(new DirectoryFileTree(root), app.path, {
        helm: support,
        app: app.name,
        helmSource: { helm: app.helm, namespace: app.namespace },
      });
      const expected = await kustomizeHelmBuild(join(reference, 'deploy/shop'));
      if (!expected.ok) throw new Error(expected.error);
      expect(toYaml(result.objects)).toBe(expected.text);
      expect(result.objects.find((o) => o.kind === 'Service')?.spec).toMatchObject({
        type: 'NodePort',
      });
      expect(result.charts.map((c) => c.path)).toEqual(['deploy/shop/charts/web']);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(reference, { recursive: true, force: true });
    }
  });

  it('refuses a helm source on a path that also holds a kustomization', async () => {
    const error = await renderApp(
      new MemoryFileTree({
        'deploy/shop/kustomization.yaml': 'resources: []\n',
        ...webChart('deploy/shop/charts/web'),
      }),
      'deploy/shop',
      { helm: support, app: 'shop', helmSource: { helm: { name: 'web' }, namespace: 'store' } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      "plumbline.yaml: app shop has a helm source, and its path 'deploy/shop' holds kustomization.yaml",
    );
  });

  it('names the field of a chart rule broken in plumbline.yaml', async () => {
    const error = await renderApp(new MemoryFileTree({}), 'deploy/shop', {
      helm: support,
      app: 'shop',
      helmSource: { helm: { name: 'web', repo: 'https://charts.example.com' }, namespace: 'store' },
    }).catch((e: unknown) => e);
    expect((error as RenderError).message).toBe(
      'plumbline.yaml: apps[shop].helm.version is required for a chart from a repository (pin it)',
    );
  });

  it('reports an unknown field under helm: with the allowed ones', () => {
    expect(() => parseRepoConfig(config.replace('releaseName: shop', 'release: shop'))).toThrow(
      /apps\[0\]\.helm\.release.*unknown field 'release'.*releaseName/s,
    );
  });
});
