/**
 * The chart cache of the Node runtime and the CLI: archives stored by digest under the user's
 * cache directory (`$XDG_CACHE_HOME/plumbline/charts`, else `~/.cache/plumbline/charts`, or
 * `$PLUMBLINE_CHART_CACHE_DIR`). A
 * digest names its content, so entries never go stale; readers verify the digest again, so a
 * damaged entry is only a cache miss.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChartCache } from '../../lib/render/helm-renderer.ts';

/** The chart cache directory for an environment (`PLUMBLINE_CHART_CACHE_DIR` names it outright). */
export function defaultChartCacheDir(env: Record<string, string | undefined>): string {
  if (env.PLUMBLINE_CHART_CACHE_DIR) return env.PLUMBLINE_CHART_CACHE_DIR;
  const base =
    env.PLUMBLINE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'plumbline');
  return join(base, 'charts');
}

/** The file holding the archive of `digest` (`sha256:<hex>`). */
export function chartCachePath(dir: string, digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new Error(`chart cache: '${digest}' is not a sha256 digest`);
  return join(dir, 'sha256', `${match[1]}.tgz`);
}

/** A `ChartCache` in `dir`. */
export function nodeChartCache(dir: string): ChartCache {
  return {
    async get(digest) {
      try {
        return new Uint8Array(await readFile(chartCachePath(dir, digest)));
      } catch {
        return undefined;
      }
    },
    async put(digest, bytes) {
      const path = chartCachePath(dir, digest);
      await mkdir(dirname(path), { recursive: true });
      // Written aside and renamed, so a concurrent reader never sees half an archive.
      const partial = `${path}.${process.pid}.${Date.now()}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, path);
    },
  };
}
