/**
 * kustomize's HelmChartInflationGenerator: one `helmCharts` entry becomes resources. The chart
 * is a directory under the chart home in the repository (as kustomize finds it), or, when
 * absent there and a `repo` is given, an archive downloaded at its pinned version, checked
 * against `plumbline.lock.yaml` and cached by digest. Values are combined as kustomize does
 * (`helm-values.ts`), helm renders through the `HelmRenderer` port, and its output joins the
 * build like any generator's, marked helm-generated so that `namespace:` leaves it alone (helm
 * already placed it, as in kustomize 5.8).
 */
import { sha256Digest } from '../core/encoding.ts';
import { RenderError } from '../errors.ts';
import { gunzip, readTar } from '../github/tar-archive.ts';
import { type FileTree, joinPath, normalizePath } from '../source/file-tree.ts';
import { downloadChart, type FetchContext } from './helm-chart-fetch.ts';
import type { HelmChartSpec, HelmGlobalsSpec } from './helm-chart-spec.ts';
import { chartLockFile, type LockedChart, lockKey, parseChartLock } from './helm-lock.ts';
import { type HelmChartInput, HelmRunError, type HelmSupport } from './helm-renderer.ts';
import { helmValuesDocuments, readsValuesFile, type ValuesSource } from './helm-values.ts';
import type { RenderLimits } from './limits.ts';
import type { Loader } from './loader.ts';
import { newResource, type Resource } from './resource.ts';
import { parseManifests, parseYamlDocuments } from './yaml-documents.ts';

/** A chart a render inflated, as plans and history show it. */
export interface RenderedChart {
  name: string;
  version?: string;
  /** The repository or registry (remote charts). */
  repo?: string;
  /** The chart directory in the repository (local charts). */
  path?: string;
  /** `sha256:` of the archive (remote) or of the directory's files (local). */
  digest: string;
  /** False for a remote chart `plumbline.lock.yaml` does not record yet (record mode only). */
  locked: boolean;
}

/** What one render knows about Helm: the runtime's support and what it has inflated. */
export interface HelmRenderContext {
  tree: FileTree;
  support: HelmSupport | undefined;
  /** The app rendered, for messages. */
  app?: string;
  charts: RenderedChart[];
  lock?: Promise<Map<string, LockedChart> | undefined>;
}

/** The kustomization fields inflation reads. */
export interface HelmKustomization {
  file: string;
  dir: string;
  namespace?: string | undefined;
  helmGlobals: HelmGlobalsSpec;
}

const contexts = new WeakMap<Loader, HelmRenderContext>();
const inheritedNamespaces = new WeakMap<object, string>();
const helmGenerated = new WeakSet<Resource>();

/** Gives a render's loader its Helm context (rendering with helm support or without). */
export function attachHelm(loader: Loader, context: HelmRenderContext): void {
  contexts.set(loader, context);
}

/**
 * Passes a kustomization's namespace (or the one it inherited) down to a base or component,
 * where a chart without its own namespace takes it (kustomize's helmRootNamespace).
 */
export function inheritHelmNamespace(parent: HelmKustomization, child: object): void {
  const namespace = parent.namespace || inheritedNamespaces.get(parent);
  if (namespace) inheritedNamespaces.set(child, namespace);
}

/** True for resources a chart produced: kustomize's namespace transformer skips them. */
export function isHelmGenerated(resource: Resource): boolean {
  return helmGenerated.has(resource);
}

/** Largest chart directory read from the repository. */
const maxChartFiles = 5_000;

/** Inflates one chart entry of `k` into resources. */
export async function inflateHelmChart(
  loader: Loader,
  k: HelmKustomization,
  spec: HelmChartSpec,
): Promise<Resource[]> {
  const context = contexts.get(loader);
  const label = chartLabel(spec, context?.app);
  const fail: Fail = (what, hint, extra = {}) => {
    throw new RenderError(`${extra.file ?? k.file}: ${label}: ${what}`, {
      file: extra.file ?? k.file,
      hint,
      line: extra.line,
      cause: extra.cause,
    });
  };
  if (!context?.support) {
    fail(
      'this runtime cannot run helm, so it cannot render Helm charts',
      'Run this app from the Node runtime (plumbline serve) or the GitHub Action, or commit the rendered output (plumbline render) and deploy that instead.',
    );
  }
  const support = context.support as HelmSupport;
  const chartHome = resolveInRepo(k.dir, k.helmGlobals.chartHome, k.file, 'helmGlobals.chartHome');
  const home =
    spec.repo && spec.version ? joinPath(chartHome, `${spec.name}-${spec.version}`) : chartHome;
  const chartDir = joinPath(home, spec.name);

  const local = await loader.stat(chartDir);
  let chart: HelmChartInput;
  let defaultValues: ValuesSource | undefined;
  let record: RenderedChart;
  if (local?.kind === 'dir') {
    const files = await readChartDirectory(loader, context, chartDir, fail);
    chart = { kind: 'directory', path: chartDir, files };
    record = {
      name: spec.name,
      path: chartDir,
      digest: await directoryDigest(files),
      locked: true,
    };
    if (spec.version) record.version = spec.version;
    if (spec.repo) record.repo = spec.repo;
  } else if (spec.repo && spec.version) {
    const ref = { repo: spec.repo, name: spec.name, version: spec.version };
    const fetched = await remoteChart(loader, context, support, ref, { file: k.file, label }, fail);
    chart = { kind: 'archive', digest: fetched.digest, bytes: fetched.bytes };
    record = { ...ref, digest: fetched.digest, locked: fetched.locked };
    const values = await archiveValues(fetched.bytes, spec.name, loader, fail);
    if (values)
      defaultValues = { path: `${spec.name}-${spec.version}.tgz:values.yaml`, bytes: values };
  } else {
    fail(
      `no chart directory at '${chartDir}'${spec.repo ? '' : ' and no repo to fetch it from'}`,
      'Put the chart under the chart home (helmGlobals.chartHome, default charts/), or name its repo and version.',
    );
  }

  const sensitive = { value: false };
  const secrets: string[] = [];
  const load = async (entry: string, field: string): Promise<ValuesSource> => {
    const ctx = { file: k.file, field };
    const path = loader.resolve(k.dir, entry, ctx);
    const loaded = await loader.read(path, k.dir, ctx);
    if (loaded.sensitive) {
      sensitive.value = true;
      collectSecrets(loaded.text, path, loader.limits, secrets);
    }
    return { path, bytes: loaded.bytes };
  };
  let valuesFile: ValuesSource | undefined;
  if (readsValuesFile(spec)) {
    if (spec.valuesFile) valuesFile = await load(spec.valuesFile, `${spec.field}.valuesFile`);
    else if (chart.kind === 'directory') {
      // kustomize reads the chart's own values.yaml through its loader (RootOnly applies).
      const path = joinPath(chartDir, 'values.yaml');
      if ((await loader.stat(path))?.kind !== 'file') {
        fail(
          `the chart has no values.yaml at '${path}'`,
          'Add a values.yaml to the chart or set valuesFile.',
        );
      }
      const ctx = { file: k.file, field: `${spec.field} (the chart's values.yaml)` };
      const loaded = await loader.read(path, k.dir, ctx);
      valuesFile = { path, bytes: loaded.bytes };
    } else {
      valuesFile = defaultValues;
      if (!valuesFile) {
        fail(
          'the chart archive has no values.yaml',
          'Set valuesFile to a values file in the repository.',
        );
      }
    }
  }
  const additional: ValuesSource[] = [];
  for (const [i, entry] of spec.additionalValuesFiles.entries()) {
    additional.push(await load(entry, `${spec.field}.additionalValuesFiles[${i}]`));
  }
  const values = helmValuesDocuments(spec, valuesFile, additional, k.file, loader.limits);
  const namespace = spec.namespace ?? (k.namespace || inheritedNamespaces.get(k));

  let output: string;
  try {
    output = await support.renderer.template({
      chart,
      releaseName: spec.releaseName,
      ...(namespace ? { namespace } : {}),
      values,
      includeCRDs: spec.includeCRDs,
      skipTests: spec.skipTests,
      skipHooks: spec.skipHooks,
      apiVersions: spec.apiVersions,
      ...(spec.kubeVersion ? { kubeVersion: spec.kubeVersion } : {}),
    });
  } catch (error) {
    if (!(error instanceof HelmRunError)) throw error;
    throw helmFailure(
      error,
      k.file,
      label,
      chart.kind === 'directory' ? chartDir : undefined,
      secrets,
    );
  }
  context.charts.push(record);
  const source =
    chart.kind === 'directory' ? chartDir : `${spec.repo}/${spec.name}:${spec.version}`;
  let objects: ReturnType<typeof parseManifests>;
  try {
    objects = parseManifests(output, `${source} (rendered by helm)`, loader.limits);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    // The parser's message may quote rendered content, which can hold values: keep it out.
    fail(
      'helm rendered output that is not a list of Kubernetes objects',
      'Check the chart templates for objects without apiVersion, kind or metadata.name (helm template shows the output).',
      { cause: error },
    );
  }
  return objects.map((object) => {
    const r = newResource(object, source, sensitive.value);
    helmGenerated.add(r);
    return r;
  });
}

function chartLabel(spec: HelmChartSpec, app: string | undefined): string {
  const version = spec.version ? ` ${spec.version}` : '';
  const from = spec.repo ? ` from ${spec.repo}` : '';
  return `${spec.field} (chart ${spec.name}${version}${from}${app ? `, app ${app}` : ''})`;
}

function resolveInRepo(dir: string, entry: string, file: string, field: string): string {
  try {
    return normalizePath(dir === '' ? entry : `${dir}/${entry}`);
  } catch (error) {
    throw new RenderError(`${file}: ${field} '${entry}' leaves the repository root`, {
      file,
      cause: error,
      hint: 'Keep charts inside the repository.',
    });
  }
}

type Fail = (
  what: string,
  hint: string,
  extra?: { file?: string; line?: number; cause?: unknown },
) => never;

/** Every file of a chart directory, read raw (binary files and subchart archives included). */
async function readChartDirectory(
  loader: Loader,
  context: HelmRenderContext,
  dir: string,
  fail: Fail,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const walk = async (path: string, prefix: string): Promise<void> => {
    for (const name of await loader.list(path)) {
      const full = joinPath(path, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const stat = await loader.stat(full);
      if (stat?.kind === 'dir') {
        await walk(full, rel);
        continue;
      }
      if (stat?.kind !== 'file') continue;
      if (files.size >= maxChartFiles) {
        fail(`the chart directory holds more than ${maxChartFiles} files`, 'Use a smaller chart.');
      }
      if (stat.size > loader.limits.maxFileBytes) {
        fail(`${full} is larger than ${loader.limits.maxFileBytes} bytes`, 'Use a smaller chart.', {
          file: full,
        });
      }
      let bytes: Uint8Array;
      try {
        bytes = await context.tree.read(full);
      } catch (error) {
        fail(`${full} cannot be read`, 'Check the chart directory.', { file: full, cause: error });
      }
      total += bytes.byteLength;
      if (total > loader.limits.maxTotalBytes) {
        fail(
          `the chart is larger than ${loader.limits.maxTotalBytes} bytes`,
          'Use a smaller chart.',
        );
      }
      loader.files.add(full);
      files.set(rel, bytes);
    }
  };
  await walk(dir, '');
  if (!files.has('Chart.yaml')) {
    fail(
      `'${dir}' is not a chart (it has no Chart.yaml)`,
      'Point the chart name at a Helm chart directory.',
    );
  }
  return files;
}

/** `sha256:` over a chart directory's paths and contents, in path order. */
async function directoryDigest(files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of [...files.keys()].sort()) {
    const bytes = files.get(path) as Uint8Array;
    parts.push(encoder.encode(`${path}\0${bytes.byteLength}\0`), bytes);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  return sha256Digest(joined);
}

/**
 * A remote chart's archive: from the cache when the lock names a digest held there (no
 * network at all), else downloaded and checked against the lock.
 */
async function remoteChart(
  loader: Loader,
  context: HelmRenderContext,
  support: HelmSupport,
  ref: { repo: string; name: string; version: string },
  fetchCtx: FetchContext,
  fail: Fail,
): Promise<{ bytes: Uint8Array; digest: string; locked: boolean }> {
  const lock = await readLock(loader, context);
  const locked = lock?.get(lockKey(ref));
  if (!locked && (support.lock ?? 'verify') === 'verify') {
    fail(
      `${chartLockFile} records no digest for this chart`,
      `Run 'plumbline lock <app directory>' and commit ${chartLockFile}, so every render of this commit uses the same chart.`,
    );
  }
  if (locked) {
    const cached = await support.cache?.get(locked.digest);
    if (cached && (await sha256Digest(cached)) === locked.digest) {
      return { bytes: cached, digest: locked.digest, locked: true };
    }
  }
  const bytes = await downloadChart(ref, support, loader.limits, fetchCtx);
  const digest = await sha256Digest(bytes);
  if (locked && locked.digest !== digest) {
    fail(
      `digest mismatch: ${chartLockFile} records ${locked.digest} for this version, but the repository now serves ${digest}`,
      `A chart must never change under the same version. If the change is expected, remove the entry from ${chartLockFile}, run 'plumbline lock' and review the new chart before committing.`,
      { file: chartLockFile },
    );
  }
  await support.cache?.put(digest, bytes);
  return { bytes, digest, locked: locked !== undefined };
}

function readLock(
  loader: Loader,
  context: HelmRenderContext,
): Promise<Map<string, LockedChart> | undefined> {
  context.lock ??= (async () => {
    if ((await loader.stat(chartLockFile))?.kind !== 'file') return undefined;
    const loaded = await loader.read(chartLockFile, '', {
      file: chartLockFile,
      field: 'lock file',
    });
    return parseChartLock(loaded.text, loader.limits);
  })();
  return context.lock;
}

/** The chart's own values.yaml from its archive (`<chart>/values.yaml`). */
async function archiveValues(
  bytes: Uint8Array,
  name: string,
  loader: Loader,
  fail: Fail,
): Promise<Uint8Array | undefined> {
  let entries: ReturnType<typeof readTar>;
  try {
    const tar = await gunzip(
      new Blob([new Uint8Array(bytes)]).stream(),
      loader.limits.maxTotalBytes,
      `chart ${name}`,
    );
    entries = readTar(tar, `chart ${name}`);
  } catch (error) {
    fail('the chart archive is not a valid .tgz', 'Check the chart in its repository.', {
      cause: error,
    });
  }
  const top = entries.find((e) => e.type === 'file' && /^[^/]+\/Chart\.yaml$/.test(e.path));
  if (!top) fail('the chart archive holds no Chart.yaml', 'Check the chart in its repository.');
  const root = top.path.slice(0, top.path.indexOf('/'));
  return entries.find((e) => e.type === 'file' && e.path === `${root}/values.yaml`)?.content;
}

/** Leaf values of a decrypted values file, to strip from helm's messages. */
function collectSecrets(text: string, path: string, limits: RenderLimits, into: string[]): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === 'object')
      for (const item of Object.values(value)) visit(item);
    else if (value !== null && value !== undefined && typeof value !== 'boolean') {
      const text = String(value);
      if (text.length >= 3) into.push(text);
    }
  };
  try {
    for (const doc of parseYamlDocuments(text, path, limits)) visit(doc);
  } catch {
    // helm will refuse the same file; its message is about syntax, not values.
  }
}

/** helm's failure as a render error naming the app, chart and file (template and line too). */
function helmFailure(
  error: HelmRunError,
  file: string,
  label: string,
  chartDir: string | undefined,
  secrets: string[],
): RenderError {
  let detail = error.detail;
  for (const secret of secrets.sort((a, b) => b.length - a.length))
    detail = detail.split(secret).join('***');
  detail = detail.length > 4000 ? `${detail.slice(0, 4000)}…` : detail;
  const hints: Record<HelmRunError['reason'], string> = {
    'missing-binary':
      'Install helm 3.14 or later on the machine that renders (or point PLUMBLINE_HELM at it).',
    'too-old': 'Install helm 3.14 or later (or point PLUMBLINE_HELM at it).',
    template: 'Fix the chart or its values; `helm template` shows the same error.',
    timeout: 'The chart took too long to render; simplify it or raise the helm time limit.',
    memory:
      'The chart needed more memory than allowed; simplify it or raise the helm memory limit.',
    'output-too-large': 'The chart renders more than Plumbline reads; split it.',
  };
  let at: { file: string; line?: number } = { file };
  if (error.reason === 'template') {
    const template = detail.match(/template: [^/\s:]+\/((?:[^\s:]+\/)*[^\s:]+):(\d+)(?::\d+)?:/);
    if (template && chartDir)
      at = { file: joinPath(chartDir, template[1] as string), line: Number(template[2]) };
    else if (/values don't meet the specifications of the schema/.test(detail) && chartDir) {
      at = { file: joinPath(chartDir, 'values.schema.json') };
    }
  }
  const schema = /values don't meet the specifications of the schema/.test(detail)
    ? " (values fail the chart's values.schema.json)"
    : '';
  return new RenderError(`${file}: ${label}: helm template failed${schema}: ${detail}`, {
    file: at.file,
    line: at.line,
    hint: hints[error.reason],
    cause: error,
  });
}
