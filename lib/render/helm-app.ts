/**
 * An app whose `plumbline.yaml` entry has a `helm:` source renders as if its directory held a
 * kustomization with that one chart and the post-renderers' patches and images: the chart is
 * found, fetched, locked and inflated exactly as `helmCharts` does, the release namespace is
 * the app's (unless the source names one), and the post-renderers apply to the output as
 * kustomize transformers, in the order Flux applies a kustomize post-renderer (patches, then
 * images; several post-renderers run one after another).
 */
import { RenderError } from '../errors.ts';
import { parseHelmChart, parseHelmGlobals } from './helm-chart-spec.ts';
import { type Kustomization, kustomizationFileNames, parseKustomization } from './kustomization.ts';
import type { Loader } from './loader.ts';

/** The `helm:` source of an app (the fields of a `helmCharts` entry, plus these). */
export interface HelmAppSource {
  name: string;
  repo?: string | undefined;
  version?: string | undefined;
  releaseName?: string | undefined;
  namespace?: string | undefined;
  valuesFile?: string | undefined;
  valuesInline?: Record<string, unknown> | undefined;
  valuesMerge?: 'override' | 'merge' | 'replace' | undefined;
  additionalValuesFiles?: string[] | undefined;
  includeCRDs?: boolean | undefined;
  skipTests?: boolean | undefined;
  skipHooks?: boolean | undefined;
  apiVersions?: string[] | undefined;
  kubeVersion?: string | undefined;
  /** Where a chart in the repository lives, relative to the app path (default `charts`). */
  chartHome?: string | undefined;
  postRenderers?:
    | {
        kustomize: {
          patches?:
            | { patch: string; target?: Record<string, string | undefined> | undefined }[]
            | undefined;
          images?:
            | {
                name: string;
                newName?: string | undefined;
                newTag?: string | undefined;
                digest?: string | undefined;
              }[]
            | undefined;
        };
      }[]
    | undefined;
}

/** The file errors about an app's `helm:` source name. */
export const helmAppFile = 'plumbline.yaml';

/**
 * The kustomizations that render an app's `helm:` source: the chart with the first
 * post-renderer, then one per further post-renderer, each taking the previous one's output.
 */
export async function helmAppKustomizations(
  loader: Loader,
  app: { name: string; namespace?: string; path: string; helm: HelmAppSource },
): Promise<Kustomization[]> {
  const names = new Set(await loader.list(app.path).catch(() => [] as string[]));
  const present = kustomizationFileNames.find((n) => names.has(n));
  if (present) {
    throw new RenderError(
      `${helmAppFile}: app ${app.name} has a helm source, and its path '${app.path || '.'}' holds ${present}`,
      {
        file: helmAppFile,
        hint: 'Use one: list the chart under helmCharts in the kustomization, or remove the kustomization.',
      },
    );
  }
  const { postRenderers, chartHome, ...chart } = app.helm;
  const field = `apps[${app.name}].helm`;
  const spec = parseHelmChart(
    { ...chart, namespace: chart.namespace ?? app.namespace },
    helmAppFile,
    field,
  );
  const passes = postRenderers?.length ? postRenderers : [{ kustomize: {} }];
  return passes.map((pass, i) => {
    const k = parseKustomization(
      JSON.stringify({
        patches: pass.kustomize.patches ?? [],
        images: pass.kustomize.images ?? [],
      }),
      `${helmAppFile} (app ${app.name}, postRenderers[${i}])`,
      app.path,
      loader.limits,
    );
    if (i === 0) {
      k.helmCharts = [spec];
      k.helmGlobals = parseHelmGlobals(chartHome ? { chartHome } : undefined, helmAppFile);
    }
    return k;
  });
}
