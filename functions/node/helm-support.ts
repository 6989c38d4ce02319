/**
 * Helm on Node: the sandboxed helm renderer and the chart cache, configured from the
 * environment. `PLUMBLINE_HELM` names the binary (default `helm` on PATH),
 * `PLUMBLINE_HELM_TIMEOUT_SECONDS` and `PLUMBLINE_HELM_MEMORY_MB` bound each run, and
 * `PLUMBLINE_HELM_PLAIN_HTTP_HOSTS` (comma-separated `host[:port]`) lets the operator allow an
 * internal chart repository or registry over plain HTTP or at a private address.
 */
import type { ChartLockMode, HelmSupport } from '../../lib/render/helm-renderer.ts';
import { defaultChartCacheDir, nodeChartCache } from './chart-cache.ts';
import { chartSourceFetch } from './chart-fetch.ts';
import { nodeHelmRenderer } from './helm-renderer.ts';

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number, not '${value}'`);
  return n;
}

/** Helm support for renders in this process, from `env`. */
export function helmSupportFromEnv(
  env: Record<string, string | undefined>,
  options: { lock?: ChartLockMode } = {},
): HelmSupport {
  const cacheDir = defaultChartCacheDir(env);
  const timeout = positive(env.PLUMBLINE_HELM_TIMEOUT_SECONDS, 'PLUMBLINE_HELM_TIMEOUT_SECONDS');
  const memory = positive(env.PLUMBLINE_HELM_MEMORY_MB, 'PLUMBLINE_HELM_MEMORY_MB');
  const plainHttpHosts = (env.PLUMBLINE_HELM_PLAIN_HTTP_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return {
    renderer: nodeHelmRenderer({
      ...(env.PLUMBLINE_HELM ? { helm: env.PLUMBLINE_HELM } : {}),
      ...(env.PATH ? { path: env.PATH } : {}),
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
      ...(memory ? { memoryBytes: memory * 1024 * 1024 } : {}),
      cacheDir,
    }),
    cache: nodeChartCache(cacheDir),
    fetch: chartSourceFetch(plainHttpHosts),
    plainHttpHosts,
    lock: options.lock ?? 'verify',
  };
}
