import { describe, expect, it } from 'vitest';
import type { FileDecryptor } from '../../../lib/core/decryptor.ts';
import { RenderError } from '../../../lib/errors.ts';
import {
  HelmRunError,
  type HelmSupport,
  type HelmTemplateRequest,
} from '../../../lib/render/helm-renderer.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const chart = {
  'app/charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
  'app/charts/web/values.yaml': 'a: chart\nnested:\n  x: 1\n',
  'app/charts/web/templates/cm.yaml': 'irrelevant: the fake renderer does not read it\n',
};

/** An in-memory HelmRenderer: records requests and answers with fixed manifests. */
function fakeHelm(
  answer:
    | string
    | HelmRunError = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart\n',
): HelmSupport & { requests: HelmTemplateRequest[] } {
  const requests: HelmTemplateRequest[] = [];
  return {
    requests,
    renderer: {
      async template(request) {
        requests.push(request);
        if (answer instanceof HelmRunError) throw answer;
        return answer;
      },
    },
  };
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

async function renderError(files: Record<string, string>, options = {}): Promise<RenderError> {
  const error = await renderApp(new MemoryFileTree(files), 'app', options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('helmCharts', () => {
  it('refuses to render a chart where no helm can run, saying where it can', async () => {
    const error = await renderError(
      { ...chart, 'app/kustomization.yaml': 'helmCharts:\n- name: web\n  releaseName: w\n' },
      { app: 'shop' },
    );
    expect(error.message).toBe(
      'app/kustomization.yaml: helmCharts[0] (chart web, app shop): this runtime cannot run helm, so it cannot render Helm charts',
    );
    expect(error.hint).toMatch(/Node runtime .*GitHub Action.*commit the rendered output/);
  });

  it('passes the chart files, flags and values in kustomize order to helm', async () => {
    const helm = fakeHelm();
    const result = await renderApp(
      new MemoryFileTree({
        ...chart,
        'app/kustomization.yaml': `namespace: outer
helmCharts:
- name: web
  releaseName: shop
  valuesInline:
    a: inline
  additionalValuesFiles: [more.yaml]
  includeCRDs: true
  skipTests: true
  apiVersions: [example.com/v1]
  kubeVersion: 1.30.0
`,
        'app/more.yaml': 'a: more\n',
      }),
      'app',
      { helm },
    );
    const [request] = helm.requests;
    expect(request?.chart.kind).toBe('directory');
    expect(request?.chart.kind === 'directory' && [...request.chart.files.keys()].sort()).toEqual([
      'Chart.yaml',
      'templates/cm.yaml',
      'values.yaml',
    ]);
    expect(request).toMatchObject({
      releaseName: 'shop',
      namespace: 'outer',
      includeCRDs: true,
      skipTests: true,
      skipHooks: false,
      apiVersions: ['example.com/v1'],
      kubeVersion: '1.30.0',
    });
    expect(request?.values.map(text)).toEqual(['{"a":"inline","nested":{"x":1}}', 'a: more\n']);
    // helm placed the object; the kustomization's namespace leaves it alone (kustomize 5.8).
    expect(result.objects).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-chart' } },
    ]);
    expect(result.files).toEqual([
      'app/charts/web/Chart.yaml',
      'app/charts/web/templates/cm.yaml',
      'app/charts/web/values.yaml',
      'app/kustomization.yaml',
      'app/more.yaml',
    ]);
    expect(result.charts).toEqual([
      {
        name: 'web',
        path: 'app/charts/web',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        locked: true,
      },
    ]);
  });

  it('names the release after the chart when releaseName is not set', async () => {
    const helm = fakeHelm();
    await renderApp(
      new MemoryFileTree({ ...chart, 'app/kustomization.yaml': 'helmCharts:\n- name: web\n' }),
      'app',
      { helm },
    );
    expect(helm.requests[0]?.releaseName).toBe('web');
  });

  it('combines values by valuesMerge: merge lets the file win, replace skips it', async () => {
    for (const [merge, expected] of [
      ['merge', '{"a":"chart","nested":{"x":1},"b":"inline"}'],
      ['replace', '{"a":"inline","b":"inline"}'],
    ]) {
      const helm = fakeHelm();
      await renderApp(
        new MemoryFileTree({
          ...chart,
          'app/kustomization.yaml': `helmCharts:\n- name: web\n  valuesMerge: ${merge}\n  valuesInline: {a: inline, b: inline}\n`,
        }),
        'app',
        { helm },
      );
      expect(JSON.parse(text(helm.requests[0]?.values[0]))).toEqual(JSON.parse(expected as string));
    }
  });

  it('marks chart output sensitive and keeps decrypted values out of helm errors', async () => {
    const decryptor: FileDecryptor = {
      async decrypt(path) {
        return path.endsWith('secret.yaml')
          ? { plaintext: new TextEncoder().encode('password: hunter2-very-secret\n') }
          : undefined;
      },
    };
    const files = {
      ...chart,
      'app/kustomization.yaml':
        'helmCharts:\n- name: web\n  additionalValuesFiles: [secret.yaml]\n',
      'app/secret.yaml': 'password: ENC[...]\nsops: {}\n',
    };
    const ok = await renderApp(new MemoryFileTree(files), 'app', { helm: fakeHelm(), decryptor });
    expect(ok.sensitive).toEqual(['|ConfigMap||from-chart']);

    const failing = fakeHelm(
      new HelmRunError(
        'template',
        'template: web/templates/cm.yaml:3:11: executing "web/templates/cm.yaml" at <fail>: error calling fail: bad password hunter2-very-secret',
      ),
    );
    const error = await renderError(files, { helm: failing, decryptor, app: 'shop' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('bad password ***');
    expect(error.message).toMatch(
      /^app\/kustomization.yaml: helmCharts\[0\] \(chart web, app shop\): helm template failed/,
    );
    expect(error.file).toBe('app/charts/web/templates/cm.yaml');
    expect(error.line).toBe(3);
  });

  it('reports values failing the schema at the chart values.schema.json', async () => {
    const error = await renderError(
      { ...chart, 'app/kustomization.yaml': 'helmCharts:\n- name: web\n' },
      {
        helm: fakeHelm(
          new HelmRunError(
            'template',
            "values don't meet the specifications of the schema(s) in the following chart(s):\nweb:\n- at '/a': got string, want integer",
          ),
        ),
      },
    );
    expect(error.message).toContain("values fail the chart's values.schema.json");
    expect(error.file).toBe('app/charts/web/values.schema.json');
  });

  it.each([
    ['helmCharts: {}\n', 'helmCharts must be a list'],
    ['helmCharts:\n- releaseName: x\n', 'helmCharts[0].name is required'],
    ['helmCharts:\n- name: ../up\n', "helmCharts[0].name '../up' must be a chart name, not a path"],
    [
      'helmCharts:\n- name: web\n  repo: https://charts.example.com\n',
      'helmCharts[0].version is required',
    ],
    [
      'helmCharts:\n- name: web\n  repo: https://charts.example.com\n  version: ">=1.0"\n',
      "helmCharts[0].version '>=1.0' must be one exact version",
    ],
    [
      'helmCharts:\n- name: web\n  repo: ftp://x\n  version: 1.0.0\n',
      'must be an https:// chart repository or an oci:// registry',
    ],
    [
      'helmCharts:\n- name: web\n  valuesMerge: deep\n',
      "valuesMerge 'deep' must be override, merge or replace",
    ],
    [
      'helmCharts:\n- name: web\n  nameTemplate: x\n',
      'helmCharts[0].nameTemplate is not supported',
    ],
    ['helmCharts:\n- name: web\n  colour: red\n', "helmCharts[0] has unknown field 'colour'"],
    ['helmGlobals:\n  chartHome: /abs\n', "helmGlobals.chartHome '/abs' must be a path relative"],
    ['helmChartInflationGenerator: []\n', "field 'helmChartInflationGenerator' is not supported"],
  ])('refuses %j', async (kustomization, message) => {
    const error = await renderError(
      { ...chart, 'app/kustomization.yaml': kustomization },
      { helm: fakeHelm() },
    );
    expect(error.message).toContain(message);
    expect(error.file).toBe('app/kustomization.yaml');
  });

  it('refuses a remote chart the lock file does not record, before any download', async () => {
    let fetched = false;
    const helm = {
      ...fakeHelm(),
      fetch: (async () => {
        fetched = true;
        throw new Error('no network in this test');
      }) as typeof fetch,
    };
    const error = await renderError(
      {
        'app/kustomization.yaml':
          'helmCharts:\n- name: web\n  repo: https://charts.example.com\n  version: 1.2.3\n',
      },
      { helm },
    );
    expect(error.message).toContain('plumbline.lock.yaml records no digest for this chart');
    expect(error.hint).toContain('plumbline lock');
    expect(fetched).toBe(false);
  });

  it('refuses a repository URL pointing at a metadata address', async () => {
    const error = await renderError(
      {
        'app/kustomization.yaml':
          'helmCharts:\n- name: web\n  repo: http://169.254.169.254/latest\n  version: 1.2.3\n',
      },
      { helm: { ...fakeHelm(), lock: 'record' } },
    );
    expect(error.message).toContain('169.254.169.254 is a link-local or metadata address');
  });
});
