/**
 * Patch and replacement targets: group, version, kind, name and namespace as anchored regular
 * expressions, plus Kubernetes label and annotation selectors.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { selectorPattern } from './go-regexp.ts';
import type { Selector } from './kustomization.ts';
import { curId, effectiveNamespace, type Resource } from './resource.ts';

type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!'; values: string[] };

/** Parses a Kubernetes label selector string (`a=b,c!=d,e in (x,y),!f`). */
export function parseLabelSelector(text: string, file: string): Requirement[] {
  const out: Requirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  if (current.trim() !== '') parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    const set = part.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    const equality = part.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/);
    const absent = part.match(/^!\s*([\w./-]+)$/);
    const exists = part.match(/^([\w./-]+)$/);
    if (set) {
      out.push({
        key: set[1] as string,
        op: set[2] as 'in' | 'notin',
        values: (set[3] as string).split(',').map((v) => v.trim()),
      });
    } else if (equality) {
      out.push({
        key: equality[1] as string,
        op: equality[2] === '!=' ? 'notin' : 'in',
        values: [equality[3] as string],
      });
    } else if (absent) {
      out.push({ key: absent[1] as string, op: '!', values: [] });
    } else if (exists) {
      out.push({ key: exists[1] as string, op: 'exists', values: [] });
    } else {
      throw new RenderError(`${file}: cannot parse selector '${text}'`, { file });
    }
  }
  return out;
}

/** True when a label or annotation map meets every requirement (own keys only). */
export function matchesRequirements(map: unknown, reqs: Requirement[]): boolean {
  const m = isJsonObject(map) ? map : {};
  return reqs.every((r) => {
    const has = Object.hasOwn(m, r.key);
    const value = has ? String(m[r.key]) : undefined;
    switch (r.op) {
      case 'in':
        return has && r.values.includes(value as string);
      case 'notin':
        return !has || !r.values.includes(value as string);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
    return false;
  });
}

/** A compiled selector. */
export type ResourceMatcher = (resource: Resource) => boolean;

/** Compiles a selector into a predicate over resources (kustomize's `ResMap.Select`). */
export function compileSelector(
  selector: Selector,
  file: string,
  field = 'target',
): ResourceMatcher {
  const group = selectorPattern(selector.group, file, `${field}.group`);
  const version = selectorPattern(selector.version, file, `${field}.version`);
  const kind = selectorPattern(selector.kind, file, `${field}.kind`);
  const name = selectorPattern(selector.name, file, `${field}.name`);
  const namespace = selectorPattern(selector.namespace, file, `${field}.namespace`);
  const labels = selector.labelSelector
    ? parseLabelSelector(selector.labelSelector, file)
    : undefined;
  const annotations = selector.annotationSelector
    ? parseLabelSelector(selector.annotationSelector, file)
    : undefined;
  return (r) => {
    const cur = curId(r);
    if (
      namespace &&
      !namespace(effectiveNamespace(r.orgId)) &&
      !namespace(effectiveNamespace(cur))
    ) {
      return false;
    }
    if (name && !name(r.orgId.name) && !name(cur.name)) return false;
    if (group && !group(cur.group)) return false;
    if (version && !version(cur.version)) return false;
    if (kind && !kind(cur.kind)) return false;
    if (labels && !matchesRequirements(r.object.metadata?.labels, labels)) return false;
    if (annotations && !matchesRequirements(r.object.metadata?.annotations, annotations))
      return false;
    return true;
  };
}
