/**
 * The ports through which rendering inflates Helm charts. Go templates with Sprig exist only in
 * Go, so `helm template` runs as a pinned binary where a runtime can start one (Node, the CLI,
 * the GitHub Action); the render core only prepares its inputs and reads its output. Fetching
 * charts (HTTP repositories and OCI registries) is done in `lib/` with Web `fetch`, so helm
 * itself never touches the network.
 */

/** The chart helm is to render: a directory from the repository or a verified archive. */
export type HelmChartInput =
  | {
      kind: 'directory';
      /** The chart directory's repository path, for messages. */
      path: string;
      /** Chart-relative path (e.g. `templates/deployment.yaml`) to contents. */
      files: ReadonlyMap<string, Uint8Array>;
    }
  | {
      kind: 'archive';
      /** `sha256:<hex>` of `bytes`, already verified. */
      digest: string;
      /** The chart archive (`.tgz`) as served by the repository or registry. */
      bytes: Uint8Array;
    };

/** One `helm template` run. */
export interface HelmTemplateRequest {
  chart: HelmChartInput;
  releaseName: string;
  namespace?: string;
  /**
   * Values documents, passed to helm as `-f` in this order (later ones win). They may hold
   * decrypted secrets: an implementation keeps them off disk and out of every message.
   */
  values: Uint8Array[];
  includeCRDs: boolean;
  skipTests: boolean;
  skipHooks: boolean;
  apiVersions: string[];
  kubeVersion?: string;
}

/** Why a helm run failed, as the runtime saw it. */
export type HelmFailureReason =
  | 'missing-binary'
  | 'too-old'
  | 'template'
  | 'timeout'
  | 'memory'
  | 'output-too-large';

/**
 * A failed helm run. `detail` is helm's own message (already stripped of anything the caller
 * marked secret); the render core adds the app, chart and file.
 */
export class HelmRunError extends Error {
  override readonly name = 'HelmRunError';
  readonly reason: HelmFailureReason;
  readonly detail: string;
  constructor(reason: HelmFailureReason, detail: string) {
    super(detail);
    this.reason = reason;
    this.detail = detail;
  }
}

/** Runs `helm template` in a sandbox (time and memory bounds, no network, no credentials). */
export interface HelmRenderer {
  /** helm's standard output (the rendered manifests). Throws `HelmRunError` on failure. */
  template(request: HelmTemplateRequest): Promise<string>;
}

/** Chart archives by digest, so a pinned chart is downloaded once. */
export interface ChartCache {
  /** The archive whose digest is `sha256:<hex>`, when held (the caller verifies it again). */
  get(digest: string): Promise<Uint8Array | undefined>;
  put(digest: string, bytes: Uint8Array): Promise<void>;
}

/** How the lock file is used: verify every chart against it, or record what is missing. */
export type ChartLockMode = 'verify' | 'record';

/** What a render needs to inflate charts; absent in runtimes that cannot run helm. */
export interface HelmSupport {
  renderer: HelmRenderer;
  cache?: ChartCache;
  /** The `fetch` used for chart repositories and registries (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Hosts (`host` or `host:port`) that may be reached over plain HTTP and at private or
   * loopback addresses: an operator's choice for an in-cluster registry, never a repository's.
   */
  plainHttpHosts?: readonly string[];
  /** Default `verify`: a chart missing from `plumbline.lock.yaml` is an error. */
  lock?: ChartLockMode;
}
