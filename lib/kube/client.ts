/**
 * `KubeClient`: the port through which Plumbline talks to an API server. The implementation
 * speaks plain HTTP through an injected `fetch`: on Node a dispatcher carries the cluster CA
 * and client certificate (functions/node/kube-transport.ts); on Workers it is the global fetch
 * plus headers. Discovery is cached; transient failures are retried with backoff.
 */

import { backoffDelay, retryAfterMs } from '../core/backoff.ts';
import { describeRef, type KubeObject, type ObjectRef, splitApiVersion } from '../core/object.ts';
import { KubeError } from '../errors.ts';
import {
  aggregatedAccept,
  findResource,
  parseAggregated,
  parseGroupList,
  parseResourceList,
  type ResourceInfo,
} from './discovery.ts';
import { isTransientResponse, kubeErrorOf } from './errors.ts';

/** Options of a server-side apply. */
export interface ApplyOptions {
  /** Validate and compute the result without persisting it (`dryRun=All`). */
  dryRun?: boolean | undefined;
  /** Take ownership of fields other managers own instead of failing with a conflict. */
  force?: boolean | undefined;
  /** Defaults to `plumbline`. */
  fieldManager?: string | undefined;
}

/** Options of a delete. */
export interface DeleteOptions {
  /** Delete only if the object still has this uid / resourceVersion (409 otherwise). */
  preconditions?: { uid?: string | undefined; resourceVersion?: string | undefined };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  dryRun?: boolean;
}

/** What a delete did: gone at once, accepted but waiting on finalizers, or already absent. */
export type DeleteOutcome = 'deleted' | 'pending' | 'absent';

/** The answer of a list. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

/** A minted ServiceAccount token. */
export interface TokenRequestResult {
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
}

/** A group-kind, optionally pinned to a version. */
export interface GroupKind {
  group: string;
  kind: string;
  version?: string;
}

/** The operations Plumbline needs from an API server. */
export interface KubeClient {
  /** The served resource for a group-kind (preferred version unless `version` is given). */
  discover(group: string, kind: string, version?: string): Promise<ResourceInfo>;
  /** Every served resource (cached): what a namespace could hold. */
  discoverAll(): Promise<ResourceInfo[]>;
  /** Forgets cached discovery, e.g. after CRDs were established. */
  invalidateDiscovery(): void;
  /** The live object, or `undefined` if it does not exist. */
  get(ref: ObjectRef, version?: string): Promise<KubeObject | undefined>;
  /** Lists one group-kind, in one namespace or (namespace omitted) the whole cluster. */
  list(
    gk: GroupKind,
    options?: { namespace?: string | undefined; labelSelector?: string | undefined },
  ): Promise<ListResult>;
  /** Creates an object; fails with 409 AlreadyExists if it exists (used for leases). */
  create(object: KubeObject, options?: { fieldManager?: string }): Promise<KubeObject>;
  /** Server-side apply; a `metadata.resourceVersion` in the body acts as a precondition. */
  apply(object: KubeObject, options?: ApplyOptions): Promise<KubeObject>;
  /**
   * Replaces an object (PUT) whose `metadata.resourceVersion` must still be the live one:
   * 409 Conflict otherwise. Leases are written this way, as client-go writes them.
   */
  replace(object: KubeObject, options?: { fieldManager?: string }): Promise<KubeObject>;
  /** Deletes an object. */
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<DeleteOutcome>;
  /** Mints a token for a ServiceAccount (TokenRequest). */
  createToken(
    namespace: string,
    serviceAccount: string,
    options?: { audiences?: string[] | undefined; expirationSeconds?: number | undefined },
  ): Promise<TokenRequestResult>;
}

/** Retry policy for 429, transient 5xx and dropped connections. */
export interface RetryPolicy {
  /** Total attempts, first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` waited for in place; a longer one ends the attempts. */
  maxRetryAfterMs: number;
}

/** Options of `createKubeClient`. */
export interface KubeClientOptions {
  /** `https://host:port`, without a trailing path. */
  server: string;
  /** The transport; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Extra headers (e.g. `Authorization`), or a function giving fresh ones per request. */
  headers?: Record<string, string> | (() => Promise<Record<string, string>>) | undefined;
  retry?: Partial<RetryPolicy>;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Default field manager; `plumbline`. */
  fieldManager?: string;
  /**
   * Where discovery is kept: shared by every client of one binding (`sharedDiscovery`), so the
   * jobs of a push or sweep do not each list the API server's kinds. Default: this client's own.
   */
  discoveryCache?: DiscoveryCache;
}

/** A holder of one API server's discovery. */
export interface DiscoveryCache {
  /** The discovery known now, if any (expired entries are not returned). */
  current(): Promise<ResourceInfo[]> | undefined;
  remember(discovery: Promise<ResourceInfo[]>): void;
  forget(): void;
}

/**
 * Discovery shared by the clients of one binding for `ttlMs` (default 30 s). A kind that is
 * not in it makes the client look again at once (a CRD established since), and a client that
 * established CRDs forgets it for everyone; the TTL bounds how long a removed kind is listed.
 */
export function sharedDiscovery(ttlMs = 30_000, now: () => number = Date.now): DiscoveryCache {
  let entry: { at: number; discovery: Promise<ResourceInfo[]> } | undefined;
  return {
    current() {
      if (entry && now() - entry.at >= ttlMs) entry = undefined;
      return entry?.discovery;
    },
    remember(discovery) {
      entry = { at: now(), discovery };
    },
    forget() {
      entry = undefined;
    },
  };
}

/** A client's own discovery, kept until it is forgotten. */
function ownDiscovery(): DiscoveryCache {
  let kept: Promise<ResourceInfo[]> | undefined;
  return {
    current: () => kept,
    remember(discovery) {
      kept = discovery;
    },
    forget() {
      kept = undefined;
    },
  };
}

const defaultRetry: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
};

/** The default field manager: every field Plumbline sets is owned by this name. */
export const plumblineFieldManager = 'plumbline';

/** Creates a fetch-based `KubeClient`. */
export function createKubeClient(options: KubeClientOptions): KubeClient {
  const server = options.server.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const retry = { ...defaultRetry, ...options.retry };
  const backoffPolicy = { baseMs: retry.baseDelayMs, capMs: retry.maxDelayMs };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const manager = options.fieldManager ?? plumblineFieldManager;
  const cache = options.discoveryCache ?? ownDiscovery();

  async function headersFor(extra: Record<string, string>): Promise<Record<string, string>> {
    const base =
      typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    return { accept: 'application/json', ...base, ...extra };
  }

  /**
   * One HTTP exchange, retried while the answer is transient (a dropped connection, 429,
   * 502-504, a 500 the server did not pin on the request); returns the last status and body.
   * A `Retry-After` is honoured up to `maxRetryAfterMs`; beyond that the answer is returned
   * (as a transient error, for the caller's queue to retry much later).
   */
  async function send(
    method: string,
    path: string,
    init: {
      body?: string | undefined;
      headers?: Record<string, string>;
      verb: string;
      ref?: ObjectRef | undefined;
    },
  ): Promise<{ status: number; text: string }> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      let response: Response;
      try {
        response = await doFetch(`${server}${path}`, {
          method,
          headers: await headersFor(init.headers ?? {}),
          body: init.body ?? null,
        });
      } catch (error) {
        // A dropped connection or refused socket: retried like a 503.
        lastError = error;
        if (attempt < retry.attempts) await sleep(backoffDelay(attempt, backoffPolicy));
        continue;
      }
      const text = await response.text();
      if (!isTransientResponse(response.status, text) || attempt === retry.attempts) {
        return { status: response.status, text };
      }
      const asked = retryAfterMs(response.headers.get('retry-after'));
      if (asked !== undefined && asked > retry.maxRetryAfterMs)
        return { status: response.status, text };
      await sleep(asked ?? backoffDelay(attempt, backoffPolicy));
    }
    const subject = init.ref ? describeRef(init.ref) : path;
    throw new KubeError(
      `${subject}: ${init.verb} failed: no answer from ${server} after ${retry.attempts} attempts (${lastError instanceof Error ? lastError.message : String(lastError)})`,
      0,
      'NoAnswer',
      {
        cause: lastError,
        hint: 'check the server URL, the network and the cluster CA',
        object: init.ref ? describeRef(init.ref) : undefined,
      },
    );
  }

  async function getJson(path: string, accept?: string): Promise<unknown> {
    const { status, text } = await send('GET', path, {
      verb: 'discovery',
      headers: accept ? { accept } : {},
    });
    if (status >= 400) throw kubeErrorOf(status, text, { verb: 'discovery', path });
    return JSON.parse(text);
  }

  async function loadDiscovery(): Promise<ResourceInfo[]> {
    const core = await getJson('/api', aggregatedAccept);
    const apis = await getJson('/apis', aggregatedAccept);
    const aggregatedCore = parseAggregated(core);
    const aggregatedApis = parseAggregated(apis);
    if (aggregatedCore && aggregatedApis) return [...aggregatedCore, ...aggregatedApis];
    // Legacy discovery: one request per group version.
    const out = parseResourceList('', 'v1', await getJson('/api/v1'));
    const lists = await Promise.all(
      parseGroupList(apis).flatMap(({ group, versions }) =>
        versions.map(async (version) =>
          parseResourceList(group, version, await getJson(`/apis/${group}/${version}`)),
        ),
      ),
    );
    return [...out, ...lists.flat()];
  }

  async function resources(): Promise<ResourceInfo[]> {
    const known = cache.current();
    if (known) return known;
    const loading = loadDiscovery();
    cache.remember(loading);
    loading.catch(() => {
      if (cache.current() === loading) cache.forget();
    });
    return loading;
  }

  async function discover(group: string, kind: string, version?: string): Promise<ResourceInfo> {
    let found = findResource(await resources(), group, kind, version);
    if (!found) {
      // Maybe a CRD established since the cache was filled: look once more.
      cache.forget();
      found = findResource(await resources(), group, kind, version);
    }
    if (!found) {
      const apiVersion = version ? (group ? `${group}/${version}` : version) : group || 'v1';
      throw new KubeError(
        `${kind}${group ? `.${group}` : ''}: the API server serves no such kind at ${apiVersion}`,
        404,
        'NoKindMatch',
        {
          hint: 'install the CRD that defines it (in the same app, it is applied first) or fix apiVersion',
        },
      );
    }
    return found;
  }

  function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
    const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${info.resource}`;
  }

  async function objectPath(ref: ObjectRef, version?: string): Promise<string> {
    const info = await discover(ref.group, ref.kind, version);
    if (info.namespaced && !ref.namespace) {
      throw new KubeError(
        `${describeRef(ref)}: a namespaced kind needs metadata.namespace`,
        422,
        'Invalid',
        {
          object: describeRef(ref),
          hint: 'set metadata.namespace or the app namespace',
        },
      );
    }
    return `${collectionPath(info, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  function refOfObject(object: KubeObject): ObjectRef {
    return {
      group: splitApiVersion(object.apiVersion).group,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name ?? '',
    };
  }

  return {
    discover,
    discoverAll: resources,
    invalidateDiscovery() {
      cache.forget();
    },

    async get(ref, version) {
      const path = await objectPath(ref, version);
      const { status, text } = await send('GET', path, { verb: 'get', ref });
      if (status === 404) return undefined;
      if (status >= 400) throw kubeErrorOf(status, text, { verb: 'get', ref, path });
      return JSON.parse(text) as KubeObject;
    },

    async list(gk, listOptions = {}) {
      const info = await discover(gk.group, gk.kind, gk.version);
      const query = listOptions.labelSelector
        ? `?labelSelector=${encodeURIComponent(listOptions.labelSelector)}`
        : '';
      const path = `${collectionPath(info, listOptions.namespace)}${query}`;
      const { status, text } = await send('GET', path, { verb: 'list' });
      if (status >= 400) throw kubeErrorOf(status, text, { verb: `list ${gk.kind}`, path });
      const body = JSON.parse(text) as {
        items?: KubeObject[];
        metadata?: { resourceVersion?: string };
      };
      const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
      // Lists omit apiVersion/kind on items; restore them so items are whole objects.
      const items = (body.items ?? []).map((item) => ({ ...item, apiVersion, kind: info.kind }));
      return { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
    },

    async create(object, createOptions = {}) {
      const ref = refOfObject(object);
      const info = await discover(ref.group, ref.kind, splitApiVersion(object.apiVersion).version);
      const path = `${collectionPath(info, ref.namespace)}?fieldManager=${encodeURIComponent(createOptions.fieldManager ?? manager)}`;
      const { status, text } = await send('POST', path, {
        verb: 'create',
        ref,
        body: JSON.stringify(object),
        headers: { 'content-type': 'application/json' },
      });
      if (status >= 400) throw kubeErrorOf(status, text, { verb: 'create', ref, path });
      return JSON.parse(text) as KubeObject;
    },

    async apply(object, applyOptions = {}) {
      const ref = refOfObject(object);
      const path = await objectPath(ref, splitApiVersion(object.apiVersion).version);
      const params = new URLSearchParams({ fieldManager: applyOptions.fieldManager ?? manager });
      if (applyOptions.force) params.set('force', 'true');
      if (applyOptions.dryRun) params.set('dryRun', 'All');
      params.set('fieldValidation', 'Strict');
      const { managedFields: _dropped, ...metadata } = object.metadata;
      const verb = applyOptions.dryRun ? 'dry-run apply' : 'apply';
      const { status, text } = await send('PATCH', `${path}?${params}`, {
        verb,
        ref,
        body: JSON.stringify({ ...object, metadata }),
        headers: { 'content-type': 'application/apply-patch+yaml' },
      });
      if (status >= 400) throw kubeErrorOf(status, text, { verb, ref, path });
      return JSON.parse(text) as KubeObject;
    },

    async replace(object, replaceOptions = {}) {
      const ref = refOfObject(object);
      if (!object.metadata.resourceVersion) {
        throw new KubeError(
          `${describeRef(ref)}: replace needs metadata.resourceVersion`,
          422,
          'Invalid',
          {
            object: describeRef(ref),
          },
        );
      }
      const path = await objectPath(ref, splitApiVersion(object.apiVersion).version);
      const query = `?fieldManager=${encodeURIComponent(replaceOptions.fieldManager ?? manager)}`;
      const { managedFields: _dropped, ...metadata } = object.metadata;
      const { status, text } = await send('PUT', `${path}${query}`, {
        verb: 'replace',
        ref,
        body: JSON.stringify({ ...object, metadata }),
        headers: { 'content-type': 'application/json' },
      });
      if (status >= 400) throw kubeErrorOf(status, text, { verb: 'replace', ref, path });
      return JSON.parse(text) as KubeObject;
    },

    async delete(ref, deleteOptions = {}) {
      const path = await objectPath(ref);
      const body = {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(deleteOptions.propagationPolicy
          ? { propagationPolicy: deleteOptions.propagationPolicy }
          : {}),
        ...(deleteOptions.preconditions ? { preconditions: deleteOptions.preconditions } : {}),
        ...(deleteOptions.dryRun ? { dryRun: ['All'] } : {}),
      };
      const { status, text } = await send('DELETE', path, {
        verb: 'delete',
        ref,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      if (status === 404) return 'absent';
      if (status >= 400) throw kubeErrorOf(status, text, { verb: 'delete', ref, path });
      if (status === 202) return 'pending';
      const answer = JSON.parse(text) as KubeObject;
      // 200 with the object (not a Status) means finalizers still hold it.
      return answer.kind !== 'Status' && answer.metadata?.deletionTimestamp ? 'pending' : 'deleted';
    },

    async createToken(namespace, serviceAccount, tokenOptions = {}) {
      const ref: ObjectRef = { group: '', kind: 'ServiceAccount', namespace, name: serviceAccount };
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`;
      const spec = {
        expirationSeconds: tokenOptions.expirationSeconds ?? 600,
        ...(tokenOptions.audiences ? { audiences: tokenOptions.audiences } : {}),
      };
      const { status, text } = await send('POST', path, {
        verb: 'create token',
        ref,
        body: JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec,
        }),
        headers: { 'content-type': 'application/json' },
      });
      if (status >= 400) throw kubeErrorOf(status, text, { verb: 'create token', ref, path });
      const answer = JSON.parse(text) as {
        status?: { token?: string; expirationTimestamp?: string };
      };
      if (!answer.status?.token || !answer.status.expirationTimestamp) {
        throw new KubeError(
          `${describeRef(ref)}: TokenRequest answered without a token`,
          status,
          'NoToken',
        );
      }
      return { token: answer.status.token, expirationTimestamp: answer.status.expirationTimestamp };
    },
  };
}
