/**
 * The `helmCharts` and `helmGlobals` fields of a kustomization (and the app-level `helm:`
 * source of `plumbline.yaml`, which reuses them): validated up front, so a wrong field is an
 * error naming the file and the field before any chart is fetched or helm is run.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';

/** How `valuesInline` combines with `valuesFile` (kustomize's `valuesMerge`). */
export type ValuesMerge = 'override' | 'merge' | 'replace';

/** One validated `helmCharts` entry. */
export interface HelmChartSpec {
  /** The chart's name: a directory under the chart home, or the name in a repository. */
  name: string;
  /** `https://`/`http://` chart repository (with `index.yaml`) or `oci://` registry path. */
  repo?: string;
  /** Exact chart version; required with `repo` (a remote chart is always pinned). */
  version?: string;
  releaseName: string;
  /** Set explicitly; else filled from the kustomization chain when the chart is inflated. */
  namespace?: string;
  valuesFile?: string;
  valuesInline?: Record<string, unknown>;
  valuesMerge: ValuesMerge;
  additionalValuesFiles: string[];
  includeCRDs: boolean;
  skipTests: boolean;
  skipHooks: boolean;
  apiVersions: string[];
  kubeVersion?: string;
  /** The field it came from, e.g. `helmCharts[0]`, for messages. */
  field: string;
}

/** The validated `helmGlobals` of a kustomization. */
export interface HelmGlobalsSpec {
  /** Directory (relative to the kustomization) holding a subdirectory per local chart. */
  chartHome: string;
  /** Accepted for compatibility; helm always runs with an empty, temporary config home. */
  configHome?: string;
}

/** kustomize's default chart home. */
export const defaultChartHome = 'charts';

const chartFields = [
  'name',
  'repo',
  'version',
  'releaseName',
  'namespace',
  'valuesFile',
  'valuesInline',
  'valuesMerge',
  'additionalValuesFiles',
  'includeCRDs',
  'skipTests',
  'skipHooks',
  'apiVersions',
  'kubeVersion',
];

const refused: Record<string, string> = {
  nameTemplate: 'a name template can make the release name change between renders; set releaseName',
  devel: 'versions are pinned exactly, so development versions need no flag; name the version',
  debug: "helm's debug output would print values; it is not available",
};

/** An exact SemVer 2 version (what a pinned chart version must be; no ranges). */
const exactVersion =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A Kubernetes release name as helm accepts it (DNS-1123 subdomain, at most 53 characters). */
const releaseNamePattern = /^[a-z0-9]([-a-z0-9.]{0,51}[a-z0-9])?$/;

/** Validates the `helmCharts` list of `file`. */
export function parseHelmCharts(value: unknown, file: string): HelmChartSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(file, 'helmCharts', 'must be a list');
  return value.map((entry, i) => parseHelmChart(entry, file, `helmCharts[${i}]`));
}

/** Validates one chart entry (a `helmCharts` item or an app's `helm:` source). */
export function parseHelmChart(entry: unknown, file: string, field: string): HelmChartSpec {
  if (!isJsonObject(entry)) fail(file, field, 'must be a mapping');
  for (const key of Object.keys(entry)) {
    const why = refused[key];
    if (why) fail(file, `${field}.${key}`, `is not supported: ${why}`);
    if (!chartFields.includes(key)) fail(file, field, `has unknown field '${key}'`);
  }
  const str = (key: string): string | undefined => {
    const v = entry[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') fail(file, `${field}.${key}`, 'must be a string (quote it)');
    return v;
  };
  const bool = (key: string): boolean => {
    const v = entry[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') fail(file, `${field}.${key}`, 'must be true or false');
    return v;
  };
  const strings = (key: string): string[] => {
    const v = entry[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(file, `${field}.${key}`, 'must be a list of strings');
    return v.map((item, i) => {
      if (typeof item !== 'string') fail(file, `${field}.${key}[${i}]`, 'must be a string');
      return item;
    });
  };
  const name = str('name');
  if (name === undefined) fail(file, `${field}.name`, 'is required');
  if (name.includes('/') || name === '.' || name === '..') {
    fail(file, `${field}.name`, `'${name}' must be a chart name, not a path`);
  }
  const repo = str('repo');
  if (repo !== undefined && !/^(?:https?|oci):\/\/[^/\s]+/.test(repo)) {
    fail(
      file,
      `${field}.repo`,
      `'${repo}' must be an https:// chart repository or an oci:// registry path`,
    );
  }
  if (repo !== undefined && /^[a-z]+:\/\/[^/]*@/i.test(repo)) {
    // Not echoed: the part before '@' may be a password.
    fail(
      file,
      `${field}.repo`,
      'carries credentials in its URL; Plumbline fetches public charts only (vendor a private chart under the chart home)',
    );
  }
  const version = str('version');
  if (repo !== undefined && version === undefined) {
    fail(file, `${field}.version`, 'is required for a chart from a repository (pin it)');
  }
  if (repo !== undefined && version !== undefined && !exactVersion.test(version)) {
    fail(
      file,
      `${field}.version`,
      `'${version}' must be one exact version (e.g. 1.2.3); ranges are not pinned`,
    );
  }
  const releaseName = str('releaseName') ?? name;
  if (!releaseNamePattern.test(releaseName)) {
    fail(
      file,
      `${field}.releaseName`,
      `'${releaseName}' must be lowercase letters, digits, '-' and '.', at most 53 characters`,
    );
  }
  const merge = str('valuesMerge') ?? 'override';
  if (merge !== 'override' && merge !== 'merge' && merge !== 'replace') {
    fail(file, `${field}.valuesMerge`, `'${merge}' must be override, merge or replace`);
  }
  const inline = entry.valuesInline;
  if (inline !== undefined && inline !== null && !isJsonObject(inline)) {
    fail(file, `${field}.valuesInline`, 'must be a mapping');
  }
  const kubeVersion = str('kubeVersion');
  if (kubeVersion !== undefined && !/^v?\d+\.\d+(\.\d+)?([-+].*)?$/.test(kubeVersion)) {
    fail(file, `${field}.kubeVersion`, `'${kubeVersion}' must be a version such as 1.31.0`);
  }
  return {
    name,
    ...(repo === undefined ? {} : { repo }),
    ...(version === undefined ? {} : { version }),
    releaseName,
    ...optional('namespace', str('namespace')),
    ...optional('valuesFile', str('valuesFile')),
    ...(isJsonObject(inline) && Object.keys(inline).length > 0
      ? { valuesInline: inline as Record<string, unknown> }
      : {}),
    valuesMerge: merge,
    additionalValuesFiles: strings('additionalValuesFiles'),
    includeCRDs: bool('includeCRDs'),
    skipTests: bool('skipTests'),
    skipHooks: bool('skipHooks'),
    apiVersions: strings('apiVersions'),
    ...optional('kubeVersion', kubeVersion),
    field,
  };
}

/** Validates `helmGlobals`. */
export function parseHelmGlobals(value: unknown, file: string): HelmGlobalsSpec {
  if (value === undefined || value === null) return { chartHome: defaultChartHome };
  if (!isJsonObject(value)) fail(file, 'helmGlobals', 'must be a mapping');
  const out: HelmGlobalsSpec = { chartHome: defaultChartHome };
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'chartHome' && key !== 'configHome') {
      fail(file, 'helmGlobals', `has unknown field '${key}'`);
    }
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') fail(file, `helmGlobals.${key}`, 'must be a string');
    if (v.startsWith('/')) {
      fail(file, `helmGlobals.${key}`, `'${v}' must be a path relative to the kustomization`);
    }
    if (key === 'chartHome') out.chartHome = v;
    else out.configHome = v;
  }
  return out;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function fail(file: string, field: string, what: string): never {
  throw new RenderError(`${file}: ${field} ${what}`, {
    file,
    hint: 'See the helmCharts section of the kustomization reference (kustomize build --enable-helm).',
  });
}
