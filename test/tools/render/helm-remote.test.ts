import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { RenderError } from '../../../lib/errors.ts';
import { formatChartLock } from '../../../lib/render/helm-lock.ts';
import {
  type HelmSupport,
  type RenderResult,
  renderApp,
  toYaml,
} from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import {
  type ChartRepository,
  packageChart,
  type Registry,
  startChartRepository,
  startRegistry,
} from '../../env/chart-servers.ts';
import { writeTree } from './harness.ts';
import { webChart } from './helm-charts.ts';
import { kustomizeHelmBuild, testHelmSupport } from './helm-harness.ts';

/** The web chart's files, chart-relative, at a version. */
function webChartAt(version: string, replicas = 1): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(webChart('x'))) files[path.slice(2)] = text;
  files['Chart.yaml'] = files['Chart.yaml']?.replace(
    'version: 1.0.0',
    `version: ${version}`,
  ) as string;
  files['values.yaml'] = files['values.yaml']?.replace(
    'replicaCount: 1',
    `replicaCount: ${replicas}`,
  ) as string;
  return files;
}

describe('charts from an HTTP repository and an OCI registry', () => {
  let repo: ChartRepository;
  let registry: Registry;
  let cache: string;
  let support: HelmSupport;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    [repo, registry] = await Promise.all([startChartRepository(), startRegistry()]);
    cache = mkdtempSync(join(tmpdir(), 'plumbline-chart-cache-'));
    digests['1.0.0'] = repo.publish(webChartAt('1.0.0'));
    digests['1.1.0'] = repo.publish(webChartAt('1.1.0', 2));
    const work = mkdtempSync(join(tmpdir(), 'plumbline-oci-'));
    registry.push(packageChart(webChartAt('1.1.0', 2), work).path, 'charts');
    rmSync(work, { recursive: true, force: true });
    support = testHelmSupport(cache, { plainHttpHosts: ['127.0.0.1'] });
  });
  afterAll(async () => {
    await Promise.all([repo?.stop(), registry?.stop()]);
    rmSync(cache, { recursive: true, force: true });
  });

  const kustomization = (repoUrl: string, version: string) =>
    `helmCharts:\n- name: web\n  repo: ${repoUrl}\n  version: ${version}\n  releaseName: shop\n  namespace: store\n`;
  const lock = (repoUrl: string, version: string, digest: string) =>
    formatChartLock([{ repo: repoUrl, name: 'web', version, digest }]);

  async function render(
    files: Record<string, string>,
    extra: Partial<HelmSupport> = {},
  ): Promise<RenderResult> {
    return renderApp(new MemoryFileTree(files), 'app', {
      helm: { ...support, ...extra },
      app: 'shop',
    });
  }
  async function renderError(files: Record<string, string>, extra: Partial<HelmSupport> = {}) {
    const error = await render(files, extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    return error as RenderError;
  }

  it('renders a chart from an HTTP repository as kustomize build --enable-helm does', async () => {
    const files = {
      'app/kustomization.yaml': kustomization(repo.url, '1.1.0'),
      'plumbline.lock.yaml': lock(repo.url, '1.1.0', digests['1.1.0'] as string),
    };
    const root = writeTree(files);
    try {
      // Plumbline first: kustomize's helm pull leaves the chart in the tree, vendored.
      const result = await renderApp(new DirectoryFileTree(root), 'app', { helm: support });
      const expected = await kustomizeHelmBuild(join(root, 'app'));
      if (!expected.ok) throw new Error(expected.error);
      expect(toYaml(result.objects)).toBe(expected.text);
      expect(result.charts).toEqual([
        { repo: repo.url, name: 'web', version: '1.1.0', digest: digests['1.1.0'], locked: true },
      ]);
      expect(result.files).toContain('plumbline.lock.yaml');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('renders the same chart from an OCI registry, with the same digest', async () => {
    const oci = `oci://${registry.host}/charts`;
    const fromOci = await render({
      'app/kustomization.yaml': kustomization(oci, '1.1.0'),
      'plumbline.lock.yaml': lock(oci, '1.1.0', digests['1.1.0'] as string),
    });
    const fromRepo = await render({
      'app/kustomization.yaml': kustomization(repo.url, '1.1.0'),
      'plumbline.lock.yaml': lock(repo.url, '1.1.0', digests['1.1.0'] as string),
    });
    expect(fromOci.objects).toEqual(fromRepo.objects);
    expect(fromOci.charts[0]?.digest).toBe(digests['1.1.0']);
    expect(fromOci.objects.find((o) => o.kind === 'Deployment')?.spec).toMatchObject({
      replicas: 2,
    });
  });

  it('records an unlocked chart in record mode and refuses it in verify mode', async () => {
    const files = { 'app/kustomization.yaml': kustomization(repo.url, '1.0.0') };
    const recorded = await render(files, { lock: 'record' });
    expect(recorded.charts).toEqual([
      { repo: repo.url, name: 'web', version: '1.0.0', digest: digests['1.0.0'], locked: false },
    ]);
    const error = await renderError(files);
    expect(error.message).toBe(
      `app/kustomization.yaml: helmCharts[0] (chart web 1.0.0 from ${repo.url}, app shop): plumbline.lock.yaml records no digest for this chart`,
    );
  });

  it('renders a locked chart from the cache with the repository gone', async () => {
    const files = {
      'app/kustomization.yaml': kustomization(repo.url, '1.0.0'),
      'plumbline.lock.yaml': lock(repo.url, '1.0.0', digests['1.0.0'] as string),
    };
    await render(files); // fills the cache
    expect(readdirSync(join(cache, 'sha256'))).toContain(`${digests['1.0.0']?.slice(7)}.tgz`);
    const before = repo.requests.length;
    repo.refuseWith = 503;
    try {
      const again = await render(files);
      expect(again.charts[0]?.digest).toBe(digests['1.0.0']);
      expect(repo.requests.length).toBe(before);
    } finally {
      repo.refuseWith = 0;
    }
  });

  it('refuses a chart whose digest changed under the same version', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'plumbline-chart-cache-'));
    try {
      const files = {
        'app/kustomization.yaml': kustomization(repo.url, '1.0.0'),
        'plumbline.lock.yaml': lock(repo.url, '1.0.0', `sha256:${'0'.repeat(64)}`),
      };
      const error = await renderError(
        files,
        testHelmSupport(fresh, { plainHttpHosts: ['127.0.0.1'] }),
      );
      expect(error.message).toContain(
        `digest mismatch: plumbline.lock.yaml records sha256:${'0'.repeat(64)} for this version, but the repository now serves ${digests['1.0.0']}`,
      );
      expect(error.message).toContain('chart web 1.0.0');
      expect(error.message).toContain('app shop');
      expect(error.file).toBe('plumbline.lock.yaml');
      expect(readdirSync(fresh)).toEqual([]); // nothing cached from a mismatch
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a missing version',
      (r: string) => kustomization(r, '9.9.9'),
      'the repository has no version 9.9.9 of chart',
    ],
    [
      'a missing chart',
      (r: string) => kustomization(r, '1.0.0').replace('name: web', 'name: nope'),
      "the repository has no chart named 'nope'",
    ],
  ])('names the chart and file for %s', async (_, body, message) => {
    const error = await renderError(
      { 'app/kustomization.yaml': body(repo.url) },
      { lock: 'record' },
    );
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^app\/kustomization.yaml: helmCharts\[0\] \(chart (web|nope) /);
  });

  it('names the registry when a tag is missing', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': kustomization(`oci://${registry.host}/charts`, '7.0.0') },
      { lock: 'record' },
    );
    expect(error.message).toContain(
      `the manifest of charts/web:7.0.0 is not there (404 from ${registry.host})`,
    );
  });

  it('fails clearly on a refusing repository and an unreachable one', async () => {
    repo.refuseWith = 403;
    try {
      const refused = await renderError(
        { 'app/kustomization.yaml': kustomization(repo.url, '1.0.0') },
        { lock: 'record' },
      );
      expect(refused.message).toContain('refused access to the repository index (403)');
    } finally {
      repo.refuseWith = 0;
    }
    const unreachable = await renderError(
      { 'app/kustomization.yaml': kustomization('http://127.0.0.1:9/charts', '1.0.0') },
      { lock: 'record' },
    );
    expect(unreachable.message).toContain('127.0.0.1:9 did not answer for the repository index');
  });

  it('refuses plain http and private addresses unless the operator allowed the host', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': kustomization(repo.url, '1.0.0') },
      { lock: 'record', plainHttpHosts: [] },
    );
    expect(error.message).toContain('plain http is refused');
    const oci = await renderError(
      { 'app/kustomization.yaml': kustomization(`oci://${registry.host}/charts`, '1.1.0') },
      { lock: 'record', plainHttpHosts: [] },
    );
    expect(oci.message).toContain('is a private or loopback address');
  });
});
