/**
 * Rendering: a kustomize-compatible build of one app over a `FileTree`, sandboxed (no remote
 * resources, no plugins, bounded sizes), decrypting SOPS files as they are loaded.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import type { FileDecryptor } from '../core/decryptor.ts';
import { sha256Hex, toHex } from '../core/encoding.ts';
import { type KubeObject, refKey, refOf } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { maskObject } from '../secrets/mask.ts';
import { type FileTree, normalizePath } from '../source/file-tree.ts';
import { buildApp } from './build.ts';
import { goJson } from './hash.ts';
import { type HelmAppSource, helmAppKustomizations } from './helm-app.ts';
import { attachHelm, type HelmRenderContext, type RenderedChart } from './helm-inflate.ts';
import type { HelmSupport } from './helm-renderer.ts';
import { defaultLimits, type RenderLimits } from './limits.ts';
import { Loader } from './loader.ts';
import type { Resource } from './resource.ts';
import { objectsToYaml } from './yaml-output.ts';

export type { HelmAppSource } from './helm-app.ts';
export type { RenderedChart } from './helm-inflate.ts';
export type { HelmSupport } from './helm-renderer.ts';
export type { RenderLimits } from './limits.ts';
export { defaultLimits, workersLimits } from './limits.ts';

/** How to render. */
export interface RenderOptions {
  /** Called on every file loaded (resources, patches, generator files) before parsing. */
  decryptor?: FileDecryptor;
  limits?: Partial<RenderLimits>;
  /** How to inflate `helmCharts`; without it a chart is an error saying where it can render. */
  helm?: HelmSupport;
  /** The app rendered, named in messages. */
  app?: string;
  /** The app's `helm:` source in `plumbline.yaml`, rendered instead of a kustomization. */
  helmSource?: { helm: HelmAppSource; namespace?: string };
}

/** What a render produced. */
export interface RenderResult {
  /** In kustomize's output order. */
  objects: KubeObject[];
  /** Every repository-relative path read, sorted: the app's dependency set. */
  files: string[];
  /**
   * `sha256:<hex>` over the canonical output with Secrets and sensitive objects masked, and over
   * the ciphertext of every decrypted file: a changed secret changes the digest, yet no
   * plaintext is ever hashed (the digest is recorded on the cluster).
   */
  digest: string;
  /** `refKey()` of every object carrying data from a decrypted file. */
  sensitive: string[];
  /** The Helm charts inflated, with their digests (plans and history show them). */
  charts: RenderedChart[];
}

/**
 * The render port: how a flow renders an app. `renderApp` in-process by default; the Node
 * runtime renders in a worker-thread sandbox that holds no credentials
 * (`functions/node/render-sandbox.ts`), a Worker with limits sized for its isolate.
 */
export type RenderPort = (
  tree: FileTree,
  appPath: string,
  options?: RenderOptions,
) => Promise<RenderResult>;

/** Renders the app at `appPath` (a kustomization directory or a plain directory of manifests). */
export async function renderApp(
  tree: FileTree,
  appPath: string,
  options: RenderOptions = {},
): Promise<RenderResult> {
  const limits = { ...defaultLimits, ...options.limits };
  const loader = new Loader(tree, limits, options.decryptor);
  const helm: HelmRenderContext = {
    tree,
    support: options.helm,
    ...(options.app ? { app: options.app } : {}),
    charts: [],
  };
  attachHelm(loader, helm);
  let dir: string;
  try {
    dir = normalizePath(appPath);
  } catch (error) {
    throw new RenderError(`${appPath}: app path leaves the repository root`, {
      file: appPath,
      cause: error,
    });
  }
  const synthesized = options.helmSource
    ? await helmAppKustomizations(loader, {
        name: options.app ?? (dir || '.'),
        path: dir,
        ...options.helmSource,
      })
    : undefined;
  const resources = await buildApp(loader, dir, synthesized);
  const objects = resources.map((r) => r.object);
  const sensitive = resources.filter((r) => r.sensitive).map((r) => refKey(refOf(r.object)));
  const encrypted = await Promise.all(
    [...loader.encrypted.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(async ([path, bytes]) => [path, await sha256Hex(bytes)]),
  );
  // Apps without charts keep the digest they always had (it is recorded on clusters).
  const charts = helm.charts.map(({ locked: _, ...chart }) => chart);
  return {
    objects,
    files: [...loader.files].sort(),
    digest: `sha256:${renderDigest(charts, encrypted, resources)}`,
    sensitive: [...new Set(sensitive)].sort(),
    charts: helm.charts,
  };
}

/**
 * SHA-256 of `goJson({charts, encrypted, objects})` with every object masked (`charts` left out
 * when there are none, so apps without charts keep the digest they always had), fed one object
 * at a time: the same digest as hashing the whole text, without holding a sorted copy of every
 * object and the text of all of them at once (that alone was 11 times the input at the end of
 * a render).
 */
function renderDigest(
  charts: unknown[],
  encrypted: (string | undefined)[][],
  resources: Resource[],
): string {
  const hash = sha256.create();
  const encoder = new TextEncoder();
  const feed = (text: string) => hash.update(encoder.encode(text));
  // Go's JSON writes map keys sorted: charts, encrypted, objects.
  feed(charts.length > 0 ? `{"charts":${goJson(charts)},` : '{');
  feed(`"encrypted":${goJson(encrypted)},"objects":[`);
  resources.forEach((r, i) => {
    if (i > 0) feed(',');
    feed(goJson(maskObject(r.object, { sensitive: r.sensitive })));
  });
  feed(']}');
  return toHex(hash.digest());
}

/** The YAML `plumbline render` prints: objects as `kustomize build` writes them, `---` between. */
export function toYaml(objects: KubeObject[]): string {
  return objectsToYaml(objects);
}
