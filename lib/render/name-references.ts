/**
 * Fixing name references after names changed (prefix, suffix, hash, patches): every field that
 * names another object (a ConfigMap in a volume, a ServiceAccount in a RoleBinding, ...) is
 * pointed at the referred object's final name, choosing the referral the way kustomize does.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { type NameReferenceRule, nameReferenceRules } from './builtin-field-specs.ts';
import { type FieldSpec, specSelects, visitPath } from './field-spec.ts';
import {
  curId,
  describeId,
  effectiveNamespace,
  idClusterScoped,
  type ResId,
  type Resource,
} from './resource.ts';

function gvkSelected(
  id: ResId,
  rule: { group?: string; version?: string; kind?: string },
): boolean {
  return (
    (!rule.group || rule.group === id.group) &&
    (!rule.version || rule.version === id.version) &&
    (!rule.kind || rule.kind === id.kind)
  );
}

function sameEnding(a: string[], b: string[]): boolean {
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  for (let i = 1; i <= shorter.length; i++) {
    if (shorter[shorter.length - i] !== longer[longer.length - i]) return false;
  }
  return true;
}

function affixesEqual(r: Resource, o: Resource, allowEmpty: boolean): boolean {
  const prefixOk =
    (allowEmpty && (r.prefixes.length === 0 || o.prefixes.length === 0)) ||
    sameEnding(r.prefixes, o.prefixes);
  const suffixOk =
    (allowEmpty && (r.suffixes.length === 0 || o.suffixes.length === 0)) ||
    sameEnding(r.suffixes, o.suffixes);
  return prefixOk && suffixOk;
}

/** Namespaces of a RoleBinding's ServiceAccount subjects: it may refer into those too. */
function subjectNamespaces(referrer: Resource): Set<string> {
  const out = new Set<string>();
  if (referrer.object.kind === 'RoleBinding' && Array.isArray(referrer.object.subjects)) {
    for (const s of referrer.object.subjects) {
      if (isJsonObject(s) && s.kind === 'ServiceAccount' && typeof s.namespace === 'string') {
        out.add(s.namespace);
      }
    }
  }
  return out;
}

/** Whether a referrer may point at a candidate: cluster scope, same namespace, or subjects'. */
function couldReference(rid: ResId, subjects: Set<string>, candidate: Resource): boolean {
  if (idClusterScoped(rid)) return true;
  const id = curId(candidate);
  return (
    idClusterScoped(id) ||
    effectiveNamespace(id) === effectiveNamespace(rid) ||
    subjects.has(id.namespace)
  );
}

interface Context {
  referrer: Resource;
  rule: NameReferenceRule;
  path: string;
}

function select(
  ctx: Context,
  oldName: string,
  candidates: Resource[],
  identical: (rs: Resource[]) => boolean,
): Resource | undefined {
  const { referrer, rule, path } = ctx;
  let c = candidates.filter((r) => r.prevIds.some((id) => id.name === oldName));
  c = c.filter((r) => r.prevIds.some((id) => gvkSelected(id, rule)));
  if (path.endsWith('roleRef/name')) {
    const roleRef = referrer.object.roleRef;
    if (
      isJsonObject(roleRef) &&
      typeof roleRef.apiGroup === 'string' &&
      typeof roleRef.kind === 'string'
    ) {
      const want = { group: roleRef.apiGroup, kind: roleRef.kind };
      c = c.filter((r) => r.prevIds.some((id) => gvkSelected(id, want)));
    }
  }
  const rid = curId(referrer);
  if (!idClusterScoped(rid)) {
    c = c.filter((r) => {
      const id = curId(r);
      return (
        idClusterScoped(id) ||
        id.kind === 'ServiceAccount' ||
        effectiveNamespace(id) === effectiveNamespace(rid)
      );
    });
  }
  if (c.length === 1) return c[0];
  c = c.filter((r) => affixesEqual(r, referrer, true));
  if (c.length > 1) c = c.filter((r) => affixesEqual(r, referrer, false));
  if (c.length === 1) return c[0];
  if (c.length === 0) return undefined;
  if (identical(c)) return c[0];
  throw new RenderError(
    `${referrer.source}: ${describeId(rid)} field ${path} '${oldName}' could refer to several objects: ${c
      .map((r) => describeId(curId(r)))
      .join(', ')}`,
    { file: referrer.source, object: describeId(rid) },
  );
}

const sameNames = (rs: Resource[]): boolean =>
  rs.every((r) => curId(r).name === curId(rs[0] as Resource).name);
const sameNamesAndNamespaces = (rs: Resource[]): boolean =>
  rs.every(
    (r) =>
      curId(r).name === curId(rs[0] as Resource).name &&
      curId(r).namespace === curId(rs[0] as Resource).namespace,
  );

function fixMapping(
  ctx: Context,
  node: Record<string, unknown>,
  candidatesNamed: (name: string) => Resource[],
): void {
  if (typeof node.name !== 'string') return;
  const candidates = candidatesNamed(node.name);
  let c = candidates;
  if (typeof node.namespace === 'string') {
    const ns = node.namespace;
    const byOrg = candidates.filter(
      (r) => effectiveNamespace(r.orgId) === ns || r.orgId.namespace === ns,
    );
    c = byOrg.length > 0 ? byOrg : candidates.filter((r) => curId(r).namespace === ns);
  }
  const referral = select(ctx, node.name, c, sameNamesAndNamespaces);
  if (!referral) return;
  const id = curId(referral);
  if (id.name === node.name && id.namespace === '') return;
  node.name = id.name;
  if (id.namespace !== '') node.namespace = id.namespace;
}

/** Points every name reference at the referred object's current name. */
export function fixNameReferences(resources: Resource[]): void {
  // Only renamed resources can be referred to under an old name: index them by old names.
  const byOldName = new Map<string, Resource[]>();
  for (const r of resources) {
    for (const name of new Set(r.prevIds.map((id) => id.name))) {
      const list = byOldName.get(name);
      if (list) list.push(r);
      else byOldName.set(name, [r]);
    }
  }
  if (byOldName.size === 0) return;
  const specsByKind = new Map<string, { rule: NameReferenceRule; spec: FieldSpec }[]>();
  for (const rule of nameReferenceRules) {
    for (const spec of rule.specs) {
      const kind = spec.kind ?? '';
      const list = specsByKind.get(kind) ?? [];
      list.push({ rule, spec });
      specsByKind.set(kind, list);
    }
  }
  for (const referrer of resources) {
    const entries = specsByKind.get(referrer.orgId.kind);
    if (!entries) continue;
    const rid = curId(referrer);
    const subjects = subjectNamespaces(referrer);
    const candidatesNamed = (name: string): Resource[] =>
      (byOldName.get(name) ?? []).filter((c) => couldReference(rid, subjects, c));
    for (const { rule, spec } of entries) {
      if (!specSelects(spec, referrer.orgId)) continue;
      const ctx: Context = { referrer, rule, path: spec.path };
      const fixScalar = (name: string): string => {
        const referral = select(ctx, name, candidatesNamed(name), sameNames);
        return referral ? curId(referral).name : name;
      };
      visitPath(referrer.object, spec.path, false, (holder, key) => {
        const value = holder[key];
        if (typeof value === 'string') holder[key] = fixScalar(value);
        else if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const item = value[i];
            if (typeof item === 'string') value[i] = fixScalar(item);
            else if (isJsonObject(item)) fixMapping(ctx, item, candidatesNamed);
          }
        } else if (isJsonObject(value)) fixMapping(ctx, value, candidatesNamed);
      });
    }
  }
}
