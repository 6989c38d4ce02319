/**
 * `plumbline.lock.yaml`: the digest of every remote chart a repository renders, committed beside
 * `plumbline.yaml`, as `go.sum` pins modules. The same commit therefore always renders the same
 * chart bytes, on every cluster and in every pull request plan, and a registry that serves other
 * bytes under a version already recorded fails the render instead of deploying them. The
 * digest is the SHA-256 of the chart archive (for OCI, the chart layer's own digest).
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderLimits } from './limits.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/** The lock file's path, at the repository root. */
export const chartLockFile = 'plumbline.lock.yaml';

/** One recorded chart. */
export interface LockedChart {
  repo: string;
  name: string;
  version: string;
  /** `sha256:<hex>` of the chart archive. */
  digest: string;
}

/** The key of a chart in the lock: repository (without a trailing slash), name and version. */
export function lockKey(chart: Pick<LockedChart, 'repo' | 'name' | 'version'>): string {
  return `${chart.repo.replace(/\/+$/, '')}\n${chart.name}\n${chart.version}`;
}

/** Parses the lock file; every entry must be complete and appear once. */
export function parseChartLock(text: string, limits: RenderLimits): Map<string, LockedChart> {
  const fail = (what: string): never => {
    throw new RenderError(`${chartLockFile}: ${what}`, {
      file: chartLockFile,
      hint: "Fix the entry, or delete it and run 'plumbline lock' to record it again.",
    });
  };
  const docs = parseYamlDocuments(text, chartLockFile, limits);
  const root = docs[0] ?? {};
  if (!isJsonObject(root)) fail('must be a mapping with a charts list');
  const rootMap = root as Record<string, unknown>;
  for (const key of Object.keys(rootMap)) if (key !== 'charts') fail(`unknown field '${key}'`);
  const charts = rootMap.charts ?? [];
  if (!Array.isArray(charts)) fail('charts must be a list');
  const out = new Map<string, LockedChart>();
  (charts as unknown[]).forEach((entry, i) => {
    if (!isJsonObject(entry)) fail(`charts[${i}] must be a mapping`);
    const e = entry as Record<string, unknown>;
    const field = (key: string): string => {
      const v = e[key];
      if (typeof v !== 'string' || v === '') fail(`charts[${i}].${key} must be a non-empty string`);
      return v as string;
    };
    const chart = {
      repo: field('repo'),
      name: field('name'),
      version: field('version'),
      digest: field('digest'),
    };
    if (!/^sha256:[0-9a-f]{64}$/.test(chart.digest)) {
      fail(`charts[${i}].digest must be sha256: and 64 lowercase hex digits`);
    }
    const key = lockKey(chart);
    if (out.has(key)) fail(`charts[${i}] records ${chart.name} ${chart.version} a second time`);
    out.set(key, chart);
  });
  return out;
}

/** The lock file's text for `charts` (sorted, so rewrites are stable and diffs small). */
export function formatChartLock(charts: Iterable<LockedChart>): string {
  const sorted = [...charts].sort((a, b) =>
    lockKey(a) < lockKey(b) ? -1 : lockKey(a) > lockKey(b) ? 1 : 0,
  );
  const lines = [
    '# Digests of the remote Helm charts this repository renders, written by `plumbline lock`.',
    '# Every render verifies the chart it downloads against its entry here; a chart whose',
    '# digest changes under the same version is refused.',
    sorted.length === 0 ? 'charts: []' : 'charts:',
  ];
  for (const c of sorted) {
    lines.push(
      `  - repo: ${JSON.stringify(c.repo)}`,
      `    name: ${JSON.stringify(c.name)}`,
      `    version: ${JSON.stringify(c.version)}`,
      `    digest: ${c.digest}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
