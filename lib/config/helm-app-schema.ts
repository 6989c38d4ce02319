/**
 * The app-level `helm:` source of `plumbline.yaml`, for a chart deployed without a
 * kustomization (Flux's HelmRelease, Argo CD's Helm source): the fields of a kustomization's
 * `helmCharts` entry, the chart home, and `postRenderers` as Flux writes them (kustomize
 * patches and images applied to the chart's output). The shape is checked here; the chart
 * rules (pinned versions, release names) are the render's, so they read the same for both.
 */
import { z } from 'zod';

const stringList = z.array(z.string());

const TargetSchema = z.strictObject({
  group: z.string().optional(),
  version: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  labelSelector: z.string().optional(),
  annotationSelector: z.string().optional(),
});

/** One kustomize patch of a post-renderer: inline, with an optional target. */
export const HelmPostRendererPatchSchema = z.strictObject({
  patch: z.string().min(1, { error: 'must not be empty' }),
  target: TargetSchema.optional(),
});

/** One image override of a post-renderer. */
export const HelmPostRendererImageSchema = z.strictObject({
  name: z.string().min(1, { error: 'must not be empty' }),
  newName: z.string().optional(),
  newTag: z.string().optional(),
  digest: z.string().optional(),
});

/** One post-renderer, as Flux's HelmRelease `spec.postRenderers[]`. */
export const HelmPostRendererSchema = z.strictObject({
  kustomize: z.strictObject({
    patches: z.array(HelmPostRendererPatchSchema).optional(),
    images: z.array(HelmPostRendererImageSchema).optional(),
  }),
});

/** `apps[].helm`. */
export const HelmAppSourceSchema = z.strictObject({
  name: z.string().min(1, { error: 'must name the chart' }),
  repo: z.string().optional(),
  version: z.string().optional(),
  releaseName: z.string().optional(),
  namespace: z.string().optional(),
  valuesFile: z.string().optional(),
  valuesInline: z.record(z.string(), z.unknown()).optional(),
  valuesMerge: z.enum(['override', 'merge', 'replace']).optional(),
  additionalValuesFiles: stringList.optional(),
  includeCRDs: z.boolean().optional(),
  skipTests: z.boolean().optional(),
  skipHooks: z.boolean().optional(),
  apiVersions: stringList.optional(),
  kubeVersion: z.string().optional(),
  chartHome: z.string().optional(),
  postRenderers: z.array(HelmPostRendererSchema).optional(),
});

/** The allowed fields of each object under `apps[].helm`, for messages naming them. */
export const HELM_ALLOWED_FIELDS: Record<string, string[]> = {
  'apps[].helm': Object.keys(HelmAppSourceSchema.shape),
  'apps[].helm.postRenderers[]': Object.keys(HelmPostRendererSchema.shape),
  'apps[].helm.postRenderers[].kustomize': ['patches', 'images'],
  'apps[].helm.postRenderers[].kustomize.patches[]': Object.keys(HelmPostRendererPatchSchema.shape),
  'apps[].helm.postRenderers[].kustomize.patches[].target': Object.keys(TargetSchema.shape),
  'apps[].helm.postRenderers[].kustomize.images[]': Object.keys(HelmPostRendererImageSchema.shape),
};
