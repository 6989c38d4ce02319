/**
 * API discovery: which resource (plural name, scope) serves a group-kind, at which version.
 * Aggregated discovery (v2) answers in two requests; servers without it fall back to the
 * legacy walk of `/api`, `/apis` and one request per group version.
 */
import { isJsonObject } from '../core/object.ts';

/** One served resource. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** The media type asking for aggregated discovery, falling back to the legacy lists. */
export const aggregatedAccept =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface AggregatedResource {
  resource?: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
  verbs?: string[];
}
interface AggregatedGroup {
  metadata?: { name?: string };
  versions?: { version?: string; resources?: AggregatedResource[] }[];
}

/**
 * Reads an `APIGroupDiscoveryList`; `undefined` if the body is a legacy list instead.
 * Versions come in preference order, so the first version serving a kind is the preferred one.
 */
export function parseAggregated(body: unknown): ResourceInfo[] | undefined {
  if (!isJsonObject(body) || body.kind !== 'APIGroupDiscoveryList') return undefined;
  const out: ResourceInfo[] = [];
  for (const group of (body.items ?? []) as AggregatedGroup[]) {
    const name = group.metadata?.name ?? '';
    for (const version of group.versions ?? []) {
      for (const r of version.resources ?? []) {
        if (!r.resource || !r.responseKind?.kind) continue;
        out.push({
          group: name,
          version: version.version ?? '',
          kind: r.responseKind.kind,
          resource: r.resource,
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
        });
      }
    }
  }
  return out;
}

/** Reads a legacy `APIResourceList` for one group version, skipping subresources. */
export function parseResourceList(group: string, version: string, body: unknown): ResourceInfo[] {
  if (!isJsonObject(body) || !Array.isArray(body.resources)) return [];
  const out: ResourceInfo[] = [];
  for (const r of body.resources) {
    if (!isJsonObject(r) || typeof r.name !== 'string' || r.name.includes('/')) continue;
    out.push({
      group,
      version,
      kind: String(r.kind),
      resource: r.name,
      namespaced: r.namespaced === true,
      verbs: Array.isArray(r.verbs) ? r.verbs.map(String) : [],
    });
  }
  return out;
}

/** Legacy `/apis` answer: each group's versions, the preferred one first. */
export function parseGroupList(body: unknown): { group: string; versions: string[] }[] {
  if (!isJsonObject(body) || !Array.isArray(body.groups)) return [];
  return body.groups.filter(isJsonObject).map((g) => {
    const preferred = isJsonObject(g.preferredVersion) ? String(g.preferredVersion.version) : '';
    const versions = (Array.isArray(g.versions) ? g.versions : [])
      .filter(isJsonObject)
      .map((v) => String(v.version));
    return {
      group: String(g.name),
      versions: [preferred, ...versions.filter((v) => v !== preferred)].filter(Boolean),
    };
  });
}

/** Finds the resource for a group-kind, at `version` if given, else at the preferred version. */
export function findResource(
  resources: readonly ResourceInfo[],
  group: string,
  kind: string,
  version?: string,
): ResourceInfo | undefined {
  return resources.find(
    (r) => r.group === group && r.kind === kind && (version === undefined || r.version === version),
  );
}
