import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHelmRenderer } from '../../../functions/node/helm-renderer.ts';
import type { FileDecryptor } from '../../../lib/core/decryptor.ts';
import { RenderError } from '../../../lib/errors.ts';
import type { HelmRenderer } from '../../../lib/render/helm-renderer.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { binary } from '../../env/paths.ts';
import { chartFiles } from '../../tools/render/helm-charts.ts';

const canary = 'canary-7f3a9c-not-for-output';

/** A chart that prints what helm lets a template see of its surroundings. */
const probeChart = chartFiles('app/charts/probe', {
  name: 'probe',
  values: 'password: public\n',
  extraChartYaml:
    'dependencies:\n- name: remote\n  version: 1.0.0\n  repository: https://charts.example.com\n',
  templates: {
    'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: probe
data:
  namespace: {{ .Release.Namespace | quote }}
`,
  },
});

async function render(
  files: Record<string, string>,
  renderer: HelmRenderer,
  decryptor?: FileDecryptor,
) {
  return renderApp(new MemoryFileTree(files), 'app', {
    helm: { renderer },
    app: 'probe',
    ...(decryptor ? { decryptor } : {}),
  });
}

async function renderError(
  files: Record<string, string>,
  renderer: HelmRenderer,
  decryptor?: FileDecryptor,
) {
  const error = await render(files, renderer, decryptor).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('helm runs in a sandbox', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('never downloads a missing dependency (helm has no network), failing clearly', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': 'helmCharts:\n- name: probe\n', ...probeChart },
      nodeHelmRenderer({ helm: binary('helm') }),
    );
    expect(error.message).toMatch(
      /^app\/kustomization.yaml: helmCharts\[0\] \(chart probe, app probe\): helm template failed: .*missing in charts\/ directory: remote/,
    );
  });

  it('gives helm none of the environment: HELM_NAMESPACE or KUBECONFIG of the user are not seen', async () => {
    process.env.HELM_NAMESPACE = 'leaked-namespace';
    process.env.KUBECONFIG = '/etc/passwd';
    const files = {
      'app/kustomization.yaml': 'helmCharts:\n- name: probe\n',
      ...chartFiles('app/charts/probe', {
        name: 'probe',
        values: '{}\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  namespace: {{ .Release.Namespace | quote }}\n',
        },
      }),
    };
    const result = await render(files, nodeHelmRenderer({ helm: binary('helm') }));
    expect(result.objects[0]?.data).toEqual({ namespace: 'default' });
  });

  it('feeds values larger than a pipe holds (64 KiB) whole, across partial writes', async () => {
    const big = 'x'.repeat(300_000);
    const files = {
      'app/kustomization.yaml': `helmCharts:\n- name: sized\n  valuesInline:\n    big: ${big}\n`,
      ...chartFiles('app/charts/sized', {
        name: 'sized',
        values: 'big: ""\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sized\ndata:\n  size: {{ len .Values.big | quote }}\n',
        },
      }),
    };
    const result = await render(files, nodeHelmRenderer({ helm: binary('helm') }));
    expect(result.objects[0]?.data).toEqual({ size: '300000' });
  });

  it('stops helm at its time limit', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': 'helmCharts:\n- name: probe\n', ...probeChart },
      nodeHelmRenderer({ helm: binary('helm'), timeoutMs: 1 }),
    );
    expect(error.message).toContain(
      'helm template failed: helm did not finish within its time limit',
    );
    expect(error.hint).toContain('took too long');
  });

  it('stops helm at its memory limit', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': 'helmCharts:\n- name: probe\n', ...probeChart },
      nodeHelmRenderer({ helm: binary('helm'), memoryBytes: 16 * 1024 * 1024 }),
    );
    expect(error.message).toContain('helm template failed: helm ran out of its memory limit');
    expect(error.hint).toContain('more memory than allowed');
  });

  it('keeps decrypted values out of the error, the disk and the temporary directories', async () => {
    const decryptor: FileDecryptor = {
      async decrypt(path) {
        return path.endsWith('secret-values.yaml')
          ? { plaintext: new TextEncoder().encode(`name: ${canary}\n`) }
          : undefined;
      },
    };
    const files = {
      'app/kustomization.yaml':
        'helmCharts:\n- name: strict\n  additionalValuesFiles: [secret-values.yaml]\n',
      'app/secret-values.yaml': 'name: ENC[AES256_GCM,data:xx]\nsops: {}\n',
      ...chartFiles('app/charts/strict', {
        name: 'strict',
        values: 'name: x\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata:\n  n: {{ fail (printf "refusing %s" .Values.name) }}\n',
        },
      }),
    };
    // A private temporary directory: other test files render charts at the same time.
    const own = mkdtempSync(join(tmpdir(), 'plumbline-helm-sandbox-test-'));
    process.env.TMPDIR = own;
    try {
      const error = await renderError(files, nodeHelmRenderer({ helm: binary('helm') }), decryptor);
      expect(error.message).toContain('refusing ***');
      expect(error.message).not.toContain(canary);
      expect(JSON.stringify(error)).not.toContain(canary);
      expect(readdirSync(own)).toEqual([]);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("points a template error at the template's file and line, and a schema failure at the schema", async () => {
    const broken = await renderError(
      {
        'app/kustomization.yaml': 'helmCharts:\n- name: broken\n',
        ...chartFiles('app/charts/broken', {
          name: 'broken',
          values: 'a: 1\n',
          templates: {
            'cm.yaml':
              'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deeper }}\n',
          },
        }),
      },
      nodeHelmRenderer({ helm: binary('helm') }),
    );
    expect(broken.message).toMatch(
      /^app\/kustomization.yaml: helmCharts\[0\] \(chart broken, app probe\): helm template failed: template: broken\/templates\/cm.yaml:4:/,
    );
    expect(broken.file).toBe('app/charts/broken/templates/cm.yaml');
    expect(broken.line).toBe(4);

    const typed = await renderError(
      {
        'app/kustomization.yaml':
          'helmCharts:\n- name: typed\n  valuesInline:\n    replicas: many\n',
        ...chartFiles('app/charts/typed', {
          name: 'typed',
          values: 'replicas: 1\n',
          files: {
            'values.schema.json': '{"type":"object","properties":{"replicas":{"type":"integer"}}}',
          },
          templates: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\n' },
        }),
      },
      nodeHelmRenderer({ helm: binary('helm') }),
    );
    expect(typed.message).toContain("values fail the chart's values.schema.json");
    expect(typed.message).toContain('replicas');
    expect(typed.file).toBe('app/charts/typed/values.schema.json');
  });

  it('refuses a helm binary that is missing or too old, naming app, chart and file', async () => {
    const files = { 'app/kustomization.yaml': 'helmCharts:\n- name: probe\n', ...probeChart };
    const missing = await renderError(files, nodeHelmRenderer({ helm: '/nonexistent/helm' }));
    expect(missing.message).toContain(
      "app/kustomization.yaml: helmCharts[0] (chart probe, app probe): helm template failed: no helm binary '/nonexistent/helm' found",
    );
    expect(missing.hint).toContain('Install helm');
    const old = await renderError(
      files,
      nodeHelmRenderer({ helm: binary('helm'), minimumVersion: '99.0.0' }),
    );
    expect(old.message).toMatch(/is helm v3\.\d+\.\d+; Plumbline needs helm 99\.0\.0 or later/);
    expect(old.hint).toContain('Install helm');
  });
});
