import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli/dispatch.ts';
import { type ChartRepository, startChartRepository } from '../../env/chart-servers.ts';
import { captureIo } from '../../env/cli-io.ts';
import { binary } from '../../env/paths.ts';
import { writeTree } from './harness.ts';
import { webChart } from './helm-charts.ts';
import { kustomizeHelmBuild } from './helm-harness.ts';

function webChartAt(version: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(webChart('x'))) files[path.slice(2)] = text;
  files['Chart.yaml'] = files['Chart.yaml']?.replace(
    'version: 1.0.0',
    `version: ${version}`,
  ) as string;
  return files;
}

describe('plumbline render and plumbline lock with Helm charts', () => {
  let repo: ChartRepository;
  let cache: string;
  let digest: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    repo = await startChartRepository();
    digest = repo.publish(webChartAt('2.0.0'));
  });
  afterAll(async () => {
    await repo?.stop();
  });
  afterEach(() => {
    process.env = { ...saved };
    if (cache) rmSync(cache, { recursive: true, force: true });
  });
  const useHelm = (helm = binary('helm')) => {
    cache = mkdtempSync(join(tmpdir(), 'plumbline-cli-cache-'));
    process.env.PLUMBLINE_HELM = helm;
    process.env.PLUMBLINE_CHART_CACHE_DIR = cache;
    process.env.PLUMBLINE_HELM_PLAIN_HTTP_HOSTS = '127.0.0.1';
  };
  const kustomization = () => ({
    'app/kustomization.yaml': `helmCharts:\n- name: web\n  repo: ${repo.url}\n  version: 2.0.0\n  releaseName: shop\n`,
  });

  it('renders a remote chart as kustomize does, notes it is unlocked, and lock records it', async () => {
    useHelm();
    const root = writeTree(kustomization());
    try {
      const render = captureIo();
      expect(await runCli(['render', '--root', root, join(root, 'app')], render.io)).toBe(0);
      expect(render.out.stderr).toContain(
        `chart web 2.0.0 from ${repo.url} (${digest}) is not in plumbline.lock.yaml; run 'plumbline lock`,
      );

      const lock = captureIo();
      expect(await runCli(['lock', '--root', root, join(root, 'app')], lock.io)).toBe(0);
      expect(lock.out.stdout).toContain(`recorded web 2.0.0 from ${repo.url}: ${digest}`);
      const file = readFileSync(join(root, 'plumbline.lock.yaml'), 'utf8');
      expect(file).toContain(`digest: ${digest}`);

      const again = captureIo();
      expect(await runCli(['render', '--root', root, join(root, 'app')], again.io)).toBe(0);
      expect(again.out.stderr).toBe('');
      expect(again.out.stdout).toBe(render.out.stdout);
      const expected = await kustomizeHelmBuild(join(root, 'app'));
      if (!expected.ok) throw new Error(expected.error);
      expect(again.out.stdout).toBe(expected.text);

      // A changed digest under the same version fails the render and the lock alike.
      writeFileSync(
        join(root, 'plumbline.lock.yaml'),
        file.replace(digest, `sha256:${'1'.repeat(64)}`),
      );
      rmSync(join(root, 'app/charts'), { recursive: true, force: true }); // kustomize's pulled copy
      const mismatch = captureIo();
      expect(await runCli(['lock', '--root', root, join(root, 'app')], mismatch.io)).toBe(1);
      expect(mismatch.out.stderr).toContain(
        'digest mismatch: plumbline.lock.yaml records sha256:1111',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says clearly when no helm is installed', async () => {
    useHelm('/nonexistent/bin/helm');
    const root = writeTree({ ...kustomization(), ...webChart('app/charts/web-2.0.0/web') });
    try {
      const { io, out } = captureIo();
      expect(await runCli(['render', '--root', root, join(root, 'app')], io)).toBe(1);
      expect(out.stderr).toContain('helmCharts[0] (chart web 2.0.0 from http://127.0.0.1:');
      expect(out.stderr).toContain("no helm binary '/nonexistent/bin/helm' found");
      expect(out.stderr).toContain('hint: Install helm 3.14 or later');
      expect(existsSync(join(root, 'plumbline.lock.yaml'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
