/**
 * The app-level `helm:` source of `plumbline.yaml`, for a chart deployed without a
 * kustomization (Flux's HelmRelease, Argo CD's Helm source): the fields of a kustomization's
 * `helmCharts` entry, the chart home, and `postRenderers` as Flux writes them (kustomize
 * patches and images applied to the chart's output). The shape is checked here; the chart
 * rules (pinned versions, release names) are the render's, so they read the same for both.
 * Written with zod's functional API, as `schema.ts` is, so it also runs under `zod/mini`.
 */
import * as z from 'zod';
import { isJsonObject } from '../core/object.ts';

const stringList = z.array(z.string());
const optionalString = z.optional(z.string());
const nonEmpty = (error: string) => z.string().check(z.minLength(1, { error }));

const TargetSchema = z.strictObject({
  group: optionalString,
  version: optionalString,
  kind: optionalString,
  name: optionalString,
  namespace: optionalString,
  labelSelector: optionalString,
  annotationSelector: optionalString,
});

/** One kustomize patch of a post-renderer: inline, with an optional target. */
export const HelmPostRendererPatchSchema = z.strictObject({
  patch: nonEmpty('must not be empty'),
  target: z.optional(TargetSchema),
});

/** One image override of a post-renderer. */
export const HelmPostRendererImageSchema = z.strictObject({
  name: nonEmpty('must not be empty'),
  newName: optionalString,
  newTag: optionalString,
  digest: optionalString,
});

/** One post-renderer, as Flux's HelmRelease `spec.postRenderers[]`. */
export const HelmPostRendererSchema = z.strictObject({
  kustomize: z.strictObject({
    patches: z.optional(z.array(HelmPostRendererPatchSchema)),
    images: z.optional(z.array(HelmPostRendererImageSchema)),
  }),
});

/** `apps[].helm`. */
export const HelmAppSourceSchema = z.strictObject({
  name: nonEmpty('must name the chart'),
  repo: optionalString,
  version: optionalString,
  releaseName: optionalString,
  namespace: optionalString,
  valuesFile: optionalString,
  // The mapping as parsed (a data map), not rebuilt by z.record: a rebuilt object would turn a
  // values key named `__proto__` into its prototype and drop it, where helm keeps it as data.
  valuesInline: z.optional(
    z.custom<Record<string, unknown>>((value) => isJsonObject(value), {
      message: 'expected a mapping of values',
    }),
  ),
  valuesMerge: z.optional(z.enum(['override', 'merge', 'replace'])),
  additionalValuesFiles: z.optional(stringList),
  includeCRDs: z.optional(z.boolean()),
  skipTests: z.optional(z.boolean()),
  skipHooks: z.optional(z.boolean()),
  apiVersions: z.optional(stringList),
  kubeVersion: optionalString,
  chartHome: optionalString,
  postRenderers: z.optional(z.array(HelmPostRendererSchema)),
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
