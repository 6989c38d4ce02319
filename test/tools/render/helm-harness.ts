/**
 * Differential testing of `helmCharts` against `kustomize build --enable-helm`, both running
 * the test environment's helm. kustomize gets a throwaway HOME and no kubeconfig, so neither
 * tool sees anything of the machine's helm or cluster configuration.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { nodeChartCache } from '../../../functions/node/chart-cache.ts';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { nodeHelmRenderer } from '../../../functions/node/helm-renderer.ts';
import { type HelmSupport, renderApp, toYaml } from '../../../lib/render/index.ts';
import { binary } from '../../env/paths.ts';
import type { ConformanceCase, Outcome } from './harness.ts';
import { writeTree } from './harness.ts';

/** Helm support for tests: the test environment's helm, a chart cache in `cacheDir`. */
export function testHelmSupport(cacheDir: string, extra: Partial<HelmSupport> = {}): HelmSupport {
  return {
    renderer: nodeHelmRenderer({ helm: binary('helm'), cacheDir }),
    cache: nodeChartCache(cacheDir),
    lock: 'verify',
    ...extra,
  };
}

/**
 * Runs `kustomize build --enable-helm` over `dir` with a sandboxed environment. Asynchronous,
 * so chart servers in this process keep answering kustomize's `helm pull`.
 */
export async function kustomizeHelmBuild(
  dir: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  const home = mkdtempSync(join(tmpdir(), 'plumbline-kustomize-home-'));
  try {
    return await new Promise((resolve) => {
      execFile(
        binary('kustomize'),
        ['build', '--enable-helm', '--helm-command', binary('helm'), dir],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: home,
            KUBECONFIG: join(home, 'none'),
          },
        },
        (error, stdout, stderr) =>
          resolve(
            error ? { ok: false, error: stderr || error.message } : { ok: true, text: stdout },
          ),
      );
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs kustomize (with helm) and Plumbline over the same files. */
export async function runHelmCase(c: ConformanceCase, support: HelmSupport): Promise<Outcome> {
  const root = writeTree(c.files);
  try {
    const app = c.app ?? 'app';
    const built = await kustomizeHelmBuild(join(root, app));
    const kustomize: Outcome['kustomize'] = built.ok
      ? {
          ok: true,
          text: built.text,
          objects: parseAllDocuments(built.text)
            .map((d) => d.toJS())
            .filter((o) => o !== null),
        }
      : built;
    let plumbline: Outcome['plumbline'];
    try {
      const result = await renderApp(new DirectoryFileTree(root), app, { helm: support });
      plumbline = { ok: true, objects: result.objects, text: toYaml(result.objects) };
    } catch (error) {
      plumbline = { ok: false, error };
    }
    return { kustomize, plumbline };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
