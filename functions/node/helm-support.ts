/**
 * Helm on Node: the sandboxed helm renderer and the chart cache, configured from the
 * environment. `PLUMBLINE_HELM` names the binary (default `helm` on PATH),
 * `PLUMBLINE_HELM_TIMEOUT_SECONDS` and `PLUMBLINE_HELM_MEMORY_MB` bound each run, and
 * `PLUMBLINE_HELM_PLAIN_HTTP_HOSTS` (comma-separated `host[:port]`) lets the operator allow an
 * internal chart repository or registry over plain HTTP or at a private address.
 */
import type {
  ChartCache,
  ChartLockMode,
  HelmRenderer,
  HelmSupport,
} from '../../lib/render/helm-renderer.ts';

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number, not '${value}'`);
  return n;
}

/** The parts of helm support that need Node modules beyond the render's own. */
interface HelmParts {
  renderer: HelmRenderer;
  cache: ChartCache;
  fetch: typeof fetch;
}

/**
 * Helm support for renders in this process, from `env`. The settings are read (and refused)
 * now; the renderer, chart cache and chart fetch load on the first chart: most renders use no
 * chart, and their modules (child processes, sockets, DNS, undici) cost every `plumbline
 * render` tens of milliseconds of start-up.
 */
export function helmSupportFromEnv(
  env: Record<string, string | undefined>,
  options: { lock?: ChartLockMode } = {},
): HelmSupport {
  const timeout = positive(env.PLUMBLINE_HELM_TIMEOUT_SECONDS, 'PLUMBLINE_HELM_TIMEOUT_SECONDS');
  const memory = positive(env.PLUMBLINE_HELM_MEMORY_MB, 'PLUMBLINE_HELM_MEMORY_MB');
  const plainHttpHosts = (env.PLUMBLINE_HELM_PLAIN_HTTP_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  let parts: Promise<HelmParts> | undefined;
  const load = async (): Promise<HelmParts> => {
    const [{ defaultChartCacheDir, nodeChartCache }, { chartSourceFetch }, { nodeHelmRenderer }] =
      await Promise.all([
        import('./chart-cache.ts'),
        import('./chart-fetch.ts'),
        import('./helm-renderer.ts'),
      ]);
    const cacheDir = defaultChartCacheDir(env);
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
    };
  };
  const loaded = () => {
    parts ??= load();
    return parts;
  };
  return {
    renderer: { template: async (request) => (await loaded()).renderer.template(request) },
    cache: {
      get: async (digest) => (await loaded()).cache.get(digest),
      put: async (digest, bytes) => (await loaded()).cache.put(digest, bytes),
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
      (await loaded()).fetch(input, init)) as typeof fetch,
    plainHttpHosts,
    lock: options.lock ?? 'verify',
  };
}
