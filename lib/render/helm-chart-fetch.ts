/**
 * Downloads a pinned chart archive with Web `fetch`, so helm never needs the network: from an
 * HTTP chart repository (its `index.yaml` names the archive's URL and digest) or from an OCI
 * registry (the Distribution API: manifest by tag, then the chart layer by digest, with an
 * anonymous bearer token when the registry asks for one). No credential is ever sent, and a
 * repository may only name public https endpoints unless the operator allowed a host.
 */

import { ReadBoundExceeded, readBounded } from '../core/bounded-read.ts';
import { sha256Digest } from '../core/encoding.ts';
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { HelmSupport } from './helm-renderer.ts';
import type { RenderLimits } from './limits.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/** A chart in a repository or registry, at one exact version. */
export interface RemoteChartRef {
  repo: string;
  name: string;
  version: string;
}

/** Where a failure is reported: the kustomization (or config) file and a label for the chart. */
export interface FetchContext {
  file: string;
  /** e.g. `helmCharts[0] (chart podinfo 6.5.0 from https://…, app web)`. */
  label: string;
}

const helmChartLayer = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const manifestTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
/** Largest index.yaml read (public indexes reach tens of megabytes). */
const maxIndexBytes = 64 * 1024 * 1024;
/** Largest chart archive downloaded. */
const maxArchiveBytes = 32 * 1024 * 1024;
/** How long one request may take. */
const requestTimeoutMs = 60_000;

/** Downloads the chart archive `ref` names. */
export async function downloadChart(
  ref: RemoteChartRef,
  support: HelmSupport,
  limits: RenderLimits,
  ctx: FetchContext,
): Promise<Uint8Array> {
  const fetcher = new ChartFetcher(support, ctx);
  return ref.repo.startsWith('oci://')
    ? fetcher.fromRegistry(ref)
    : fetcher.fromRepository(ref, limits);
}

class ChartFetcher {
  readonly #fetch: typeof fetch;
  readonly #plainHttp: ReadonlySet<string>;
  readonly #ctx: FetchContext;

  constructor(support: HelmSupport, ctx: FetchContext) {
    this.#fetch = support.fetch ?? fetch;
    this.#plainHttp = new Set((support.plainHttpHosts ?? []).map((h) => h.toLowerCase()));
    this.#ctx = ctx;
  }

  fail(what: string, hint: string, cause?: unknown): never {
    throw new RenderError(`${this.#ctx.file}: ${this.#ctx.label}: ${what}`, {
      file: this.#ctx.file,
      hint,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** An HTTP chart repository: index.yaml, then the archive it lists for the version. */
  async fromRepository(ref: RemoteChartRef, limits: RenderLimits): Promise<Uint8Array> {
    const base = this.checkUrl(ref.repo.endsWith('/') ? ref.repo : `${ref.repo}/`);
    const indexUrl = new URL('index.yaml', base);
    const indexBytes = await this.get(indexUrl, maxIndexBytes, 'the repository index');
    let index: unknown;
    try {
      [index] = parseYamlDocuments(new TextDecoder().decode(indexBytes), indexUrl.href, {
        ...limits,
        maxObjects: Number.MAX_SAFE_INTEGER,
      });
    } catch (error) {
      this.fail(
        `${indexUrl.href} is not a valid chart repository index`,
        'Check the repo URL.',
        error,
      );
    }
    const entries = isJsonObject(index) ? index.entries : undefined;
    const versions = isJsonObject(entries) ? entries[ref.name] : undefined;
    if (!Array.isArray(versions) || versions.length === 0) {
      this.fail(
        `the repository has no chart named '${ref.name}'`,
        `Check the chart name against ${indexUrl.href}.`,
      );
    }
    const wanted = ref.version.replace(/^v/, '');
    const entry = versions.find(
      (v) => isJsonObject(v) && String(v.version).replace(/^v/, '') === wanted,
    );
    if (!isJsonObject(entry)) {
      this.fail(
        `the repository has no version ${ref.version} of chart '${ref.name}'`,
        'Pick a version the repository lists (helm search repo --versions).',
      );
    }
    const urls = entry.urls;
    if (!Array.isArray(urls) || typeof urls[0] !== 'string') {
      this.fail(
        `the index lists no download URL for ${ref.name} ${ref.version}`,
        'Ask the chart maintainers.',
      );
    }
    let archiveUrl: URL;
    try {
      archiveUrl = new URL(urls[0], base);
    } catch (error) {
      this.fail(
        `the index lists an invalid URL for ${ref.name} ${ref.version}`,
        'Ask the chart maintainers.',
        error,
      );
    }
    const bytes = await this.get(
      this.checkUrl(archiveUrl.href),
      maxArchiveBytes,
      'the chart archive',
    );
    const listed = typeof entry.digest === 'string' ? entry.digest.toLowerCase() : undefined;
    if (listed) {
      const actual = await sha256Digest(bytes);
      if (`sha256:${listed.replace(/^sha256:/, '')}` !== actual) {
        this.fail(
          `the archive's digest ${actual} differs from the one the index lists (sha256:${listed.replace(/^sha256:/, '')})`,
          'The repository serves a corrupted or altered chart; try again later or ask its maintainers.',
        );
      }
    }
    return bytes;
  }

  /** An OCI registry: the manifest for the version's tag, then its chart layer. */
  async fromRegistry(ref: RemoteChartRef): Promise<Uint8Array> {
    const path = ref.repo.slice('oci://'.length).replace(/\/+$/, '');
    const slash = path.indexOf('/');
    const host = slash < 0 ? path : path.slice(0, slash);
    const repository = `${slash < 0 ? '' : `${path.slice(slash + 1)}/`}${ref.name}`;
    const hostname = host
      .replace(/:\d+$/, '')
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
    const plain = this.#plainHttp.has(host.toLowerCase()) || this.#plainHttp.has(hostname);
    const scheme = plain ? 'http' : 'https';
    const origin = this.checkUrl(`${scheme}://${host}/`);
    // OCI tags cannot hold '+': helm pushes SemVer build metadata with '_' instead.
    const tag = ref.version.replace(/\+/g, '_');
    const session = new RegistrySession(this, repository);
    const manifestUrl = new URL(`/v2/${repository}/manifests/${encodeURIComponent(tag)}`, origin);
    const manifestBytes = await session.get(
      manifestUrl,
      { Accept: manifestTypes.join(', ') },
      1024 * 1024,
      `the manifest of ${repository}:${tag}`,
    );
    let manifest: unknown;
    try {
      manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
    } catch (error) {
      this.fail(
        `the registry sent a manifest that is not JSON for ${repository}:${tag}`,
        'Check the repo URL.',
        error,
      );
    }
    const layers = isJsonObject(manifest) ? manifest.layers : undefined;
    const layer = Array.isArray(layers)
      ? layers.find((l) => isJsonObject(l) && l.mediaType === helmChartLayer)
      : undefined;
    if (
      !isJsonObject(layer) ||
      typeof layer.digest !== 'string' ||
      !/^sha256:[0-9a-f]{64}$/.test(layer.digest)
    ) {
      this.fail(
        `${repository}:${tag} is not a Helm chart (no ${helmChartLayer} layer)`,
        'Check the repo URL and chart name.',
      );
    }
    const blobUrl = new URL(`/v2/${repository}/blobs/${layer.digest}`, origin);
    const bytes = await session.get(blobUrl, {}, maxArchiveBytes, 'the chart layer');
    const actual = await sha256Digest(bytes);
    if (actual !== layer.digest) {
      this.fail(
        `the chart layer's content (${actual}) does not match its digest ${layer.digest}`,
        'The registry serves corrupted content; try again later.',
      );
    }
    return bytes;
  }

  /**
   * Only https, and plain http or private addresses for hosts the operator named. A
   * repository cannot point Plumbline at link-local or metadata endpoints at all.
   */
  checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch (error) {
      this.fail(`'${text}' is not a valid URL`, 'Check the repo URL.', error);
    }
    if (url.username || url.password) {
      this.fail(
        `${url.protocol}//${url.host}: credentials in a chart URL are refused`,
        'Plumbline fetches public charts only; remove the user and password from the URL.',
      );
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isLinkLocal(host)) {
      this.fail(
        `${url.host} is a link-local or metadata address`,
        'Charts come from public repositories and registries only.',
      );
    }
    const allowed = this.#plainHttp.has(url.host.toLowerCase()) || this.#plainHttp.has(host);
    if (url.protocol === 'http:' && !allowed) {
      this.fail(
        `${url.host}: plain http is refused`,
        'Use the https:// address of the repository; an operator can allow an internal host over http.',
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.fail(`${url.protocol} URLs are not chart sources`, 'Use https:// or oci://.');
    }
    if (isPrivate(host) && !allowed) {
      this.fail(
        `${url.host} is a private or loopback address`,
        'Charts come from public repositories; an operator can allow an internal host.',
      );
    }
    return url;
  }

  /** GET with a size bound and a time limit; errors name the URL, never a response body. */
  async get(
    url: URL,
    maxBytes: number,
    what: string,
    headers: Record<string, string> = {},
  ): Promise<Uint8Array> {
    const response = await this.request(url, headers, what);
    if (!response.ok) this.httpFailure(response, url, what);
    return this.body(response, url, maxBytes, what);
  }

  async request(url: URL, headers: Record<string, string>, what: string): Promise<Response> {
    const signal = AbortSignal.timeout(requestTimeoutMs);
    try {
      const response = await this.#fetch(url, { headers, redirect: 'follow', signal });
      // A redirect may not lead somewhere the repository could not name itself.
      if (response.url && response.url !== url.href) this.checkUrl(response.url);
      return response;
    } catch (error) {
      if (error instanceof RenderError) throw error;
      this.fail(
        `${url.host} did not answer for ${what} (${error instanceof Error ? error.name : 'error'})`,
        'Check that the repository is reachable from Plumbline, then try again.',
        error,
      );
    }
  }

  httpFailure(response: Response, url: URL, what: string): never {
    void response.body?.cancel();
    if (response.status === 404) {
      this.fail(
        `${what} is not there (404 from ${url.host})`,
        'Check the repo URL, the chart name and the version.',
      );
    }
    if (response.status === 401 || response.status === 403) {
      this.fail(
        `${url.host} refused access to ${what} (${response.status})`,
        'Plumbline fetches public charts only; make the chart public or vendor it into the repository.',
      );
    }
    this.fail(
      `${url.host} answered ${response.status} for ${what}`,
      'The repository or registry is failing; try again later.',
    );
  }

  async body(response: Response, url: URL, maxBytes: number, what: string): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      void response.body?.cancel();
      this.fail(
        `${what} from ${url.host} is larger than ${maxBytes} bytes`,
        'Use a smaller chart.',
      );
    }
    if (!response.body) return new Uint8Array();
    try {
      return await readBounded(response.body, { maxBytes });
    } catch (error) {
      if (error instanceof ReadBoundExceeded) {
        this.fail(
          `${what} from ${url.host} is larger than ${maxBytes} bytes`,
          'Use a smaller chart.',
        );
      }
      this.fail(`${url.host} broke off ${what}`, 'Try again later.', error);
    }
  }
}

/**
 * Requests to one registry repository, answering a `WWW-Authenticate: Bearer` challenge with an
 * anonymous pull token (what public registries such as ghcr.io ask for).
 */
class RegistrySession {
  readonly #fetcher: ChartFetcher;
  readonly #repository: string;
  #token: string | undefined;

  constructor(fetcher: ChartFetcher, repository: string) {
    this.#fetcher = fetcher;
    this.#repository = repository;
  }

  async get(
    url: URL,
    headers: Record<string, string>,
    maxBytes: number,
    what: string,
  ): Promise<Uint8Array> {
    const withAuth = () =>
      this.#token ? { ...headers, Authorization: `Bearer ${this.#token}` } : headers;
    let response = await this.#fetcher.request(url, withAuth(), what);
    if (response.status === 401 && this.#token === undefined) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      void response.body?.cancel();
      this.#token = await this.anonymousToken(challenge, url, what);
      response = await this.#fetcher.request(url, withAuth(), what);
    }
    if (!response.ok) this.#fetcher.httpFailure(response, url, what);
    return this.#fetcher.body(response, url, maxBytes, what);
  }

  async anonymousToken(challenge: string, url: URL, what: string): Promise<string> {
    const params = new Map<string, string>();
    if (!/^bearer\s/i.test(challenge)) {
      this.#fetcher.fail(
        `${url.host} asks for credentials for ${what}`,
        'Plumbline fetches public charts only; make the chart public or vendor it into the repository.',
      );
    }
    for (const m of challenge.slice(7).matchAll(/([a-z]+)="([^"]*)"/gi)) {
      params.set((m[1] as string).toLowerCase(), m[2] as string);
    }
    const realm = params.get('realm');
    if (!realm) {
      this.#fetcher.fail(
        `${url.host} sent an authentication challenge without a realm`,
        'Check the registry.',
      );
    }
    const tokenUrl = this.#fetcher.checkUrl(realm);
    const service = params.get('service');
    if (service) tokenUrl.searchParams.set('service', service);
    tokenUrl.searchParams.set(
      'scope',
      params.get('scope') ?? `repository:${this.#repository}:pull`,
    );
    const body = await this.#fetcher.get(tokenUrl, 1024 * 1024, 'an anonymous pull token');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      this.#fetcher.fail(
        `${tokenUrl.host} sent a token answer that is not JSON`,
        'Check the registry.',
        error,
      );
    }
    const token = isJsonObject(parsed) ? (parsed.token ?? parsed.access_token) : undefined;
    if (typeof token !== 'string' || token === '') {
      this.#fetcher.fail(
        `${url.host} gives no anonymous access to ${what}`,
        'Plumbline fetches public charts only; make the chart public or vendor it into the repository.',
      );
    }
    return token;
  }
}

/** 169.254.0.0/16, fe80::/10 and the well-known metadata names: never a chart source. */
function isLinkLocal(host: string): boolean {
  return (
    /^169\.254\.\d+\.\d+$/.test(host) ||
    /^fe[89ab][0-9a-f]:/i.test(host) ||
    host === 'metadata.google.internal' ||
    host === 'metadata' ||
    host === 'fd00:ec2::254'
  );
}

/** Loopback, private and unspecified literal addresses and `localhost`. */
function isPrivate(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = host.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  return host === '::1' || host === '::' || /^f[cd][0-9a-f]{2}:/i.test(host);
}
