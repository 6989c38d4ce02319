/**
 * kustomize's built-in field transformers: namespace, name prefix and suffix, labels,
 * annotations, images and replicas. Each mutates the accumulated resources in place.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import {
  commonAnnotationSpecs,
  commonLabelSpecs,
  replicaKinds,
  templateLabelSpecs,
} from './builtin-field-specs.ts';
import { assignFields, type DataMap, newDataMap, ownField } from './data-map.ts';
import { type FieldSpec, specSelects, splitPath, visitPath } from './field-spec.ts';
import { compileGoRegexp, type TextMatcher } from './go-regexp.ts';
import type { ImageSpec, LabelSpec } from './kustomization.ts';
import {
  curId,
  describeId,
  effectiveNamespace,
  idClusterScoped,
  metadataOf,
  type Resource,
  storePreviousId,
} from './resource.ts';

/** Sets the namespace of namespaced resources (and the other places kustomize sets it). */
export function setNamespace(resources: Resource[], namespace: string, file: string): void {
  for (const r of resources) {
    storePreviousId(r);
    const id = curId(r);
    const meta = metadataOf(r.object);
    if (!idClusterScoped(id)) meta.namespace = namespace;
    if (id.kind === 'Namespace' && r.object.apiVersion === 'v1') meta.name = namespace;
    if (id.kind === 'APIService' && id.group === 'apiregistration.k8s.io') {
      visitPath(r.object, 'spec/service/namespace', true, (holder, key) => {
        holder[key] = namespace;
      });
    }
    if (id.kind === 'CustomResourceDefinition') {
      visitPath(
        r.object,
        'spec/conversion/webhook/clientConfig/service/namespace',
        false,
        (h, k) => {
          h[k] = namespace;
        },
      );
    }
    if (id.kind === 'RoleBinding' || id.kind === 'ClusterRoleBinding') {
      const subjects = r.object.subjects;
      if (Array.isArray(subjects)) {
        for (const subject of subjects) {
          if (isJsonObject(subject) && subject.name === 'default') subject.namespace = namespace;
        }
      }
    }
  }
  const seen = new Set<string>();
  for (const r of resources) {
    const id = curId(r);
    const key = `${id.group}|${id.version}|${id.kind}|${effectiveNamespace(id)}|${id.name}`;
    if (seen.has(key)) {
      throw new RenderError(
        `${file}: namespace '${namespace}' makes two resources the same: ${describeId(id)}`,
        { file, hint: 'Rename one of them.' },
      );
    }
    seen.add(key);
  }
}

function skipsAffixes(r: Resource): boolean {
  const { kind, group } = r.orgId;
  return (
    kind === 'CustomResourceDefinition' ||
    kind === 'Namespace' ||
    (kind === 'APIService' && group === 'apiregistration.k8s.io')
  );
}

/** Adds `namePrefix` and `nameSuffix` to names (not CRDs, Namespaces or APIServices). */
export function addNameAffixes(resources: Resource[], prefix: string, suffix: string): void {
  for (const r of resources) {
    if (skipsAffixes(r)) continue;
    const meta = metadataOf(r.object);
    if (prefix) {
      r.prefixes.push(prefix);
      storePreviousId(r);
      meta.name = `${prefix}${String(meta.name ?? '')}`;
    }
    if (suffix) {
      r.suffixes.push(suffix);
      storePreviousId(r);
      meta.name = `${String(meta.name ?? '')}${suffix}`;
    }
  }
}

/** Writes a string map into every place the field specs reach. */
export function addMapEntries(
  resources: Resource[],
  entries: Record<string, string>,
  specs: FieldSpec[],
  file: string,
): void {
  if (Object.keys(entries).length === 0) return;
  for (const r of resources) {
    const id = curId(r);
    for (const spec of dedupe(specs)) {
      if (!specSelects(spec, id)) continue;
      visitPath(r.object, spec.path, spec.create === true, (holder, key) => {
        let target = ownField(holder, key);
        if (target === undefined || target === null) {
          target = newDataMap();
          holder[key] = target;
        }
        if (!isJsonObject(target)) {
          throw new RenderError(
            `${file}: ${spec.path} of ${describeId(id)} is not a map, cannot add labels or annotations`,
            { file },
          );
        }
        assignFields(target, entries);
      });
    }
  }
}

/** Drops specs that repeat the same gvk and path (kustomize merges field spec lists). */
function dedupe(specs: FieldSpec[]): FieldSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => {
    const key = `${s.group ?? ''}|${s.version ?? ''}|${s.kind ?? ''}|${s.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `commonLabels`: metadata, pod templates and selectors. */
export function addCommonLabels(
  resources: Resource[],
  labels: Record<string, string>,
  file: string,
): void {
  addMapEntries(resources, labels, commonLabelSpecs, file);
}

/** One `labels` entry, honouring includeSelectors and includeTemplates. */
export function addLabels(resources: Resource[], spec: LabelSpec, file: string): void {
  for (const field of spec.fields) {
    if (splitPath(field.path).length === 0) {
      throw new RenderError(`${file}: labels field path '${field.path}' names no field`, {
        file,
        hint: 'Write the path to the labels map, e.g. spec/selector/matchLabels.',
      });
    }
  }
  const own: FieldSpec[] = spec.fields.map((f) => ({ ...f }));
  const specs = spec.includeSelectors
    ? [...own, ...commonLabelSpecs]
    : spec.includeTemplates
      ? [...own, ...templateLabelSpecs]
      : [...own, { path: 'metadata/labels', create: true }];
  addMapEntries(resources, spec.pairs, specs, file);
}

/** `commonAnnotations`: metadata and pod templates. */
export function addCommonAnnotations(
  resources: Resource[],
  annotations: Record<string, string>,
  file: string,
): void {
  addMapEntries(resources, annotations, commonAnnotationSpecs, file);
}

/** Splits an image reference into name, tag and digest the way kustomize does. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const offset = Math.max(slash, 0);
  const search = image.slice(offset);
  let at = search.indexOf('@');
  let colon = search.indexOf(':');
  if (colon < 0 && at < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (at < colon || colon < 0)) {
    at += offset;
    return { name: image.slice(0, at), tag: '', digest: image.slice(at + 1) };
  }
  if (at >= 0 && colon >= 0) {
    at += offset;
    colon += offset;
    return {
      name: image.slice(0, colon),
      tag: image.slice(colon + 1, at),
      digest: image.slice(at + 1),
    };
  }
  colon += offset;
  return { name: image.slice(0, colon), tag: image.slice(colon + 1), digest: '' };
}

/**
 * The matcher of an `images` entry: kustomize interpolates the name into a Go regular
 * expression (so `name` may hold regexp syntax) and an invalid one matches nothing.
 */
export function imageMatcher(name: string): TextMatcher {
  // Most names are plain references whose only syntax is `.`: a JavaScript pattern with `.`
  // spelled as Go reads it (any character but a newline) matches the same texts without
  // compiling RE2 (the first compilation costs a small render ~10 ms). Nothing in it nests a
  // repetition, so it cannot backtrack badly.
  if (!IMAGE_NAME_SYNTAX.test(name)) {
    const pattern = new RegExp(`^${name.replaceAll('.', '[^\\n]')}${IMAGE_SUFFIX}`, 'u');
    return (text) => pattern.test(text);
  }
  const compiled = compileGoRegexp(`^${name}${IMAGE_SUFFIX}`);
  return typeof compiled === 'string' ? () => false : (text) => compiled.test(text);
}

/** What kustomize appends to an image name to match a reference: a tag, a digest, or both. */
const IMAGE_SUFFIX =
  '(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$';

/** Go regexp syntax other than `.`, which the JavaScript shortcut handles. */
const IMAGE_NAME_SYNTAX = /[\\+*?()|[\]{}^$]/;

/** The new image reference for `value`, or undefined when the entry does not match it. */
export function rewriteImage(
  value: string,
  spec: ImageSpec,
  matches: TextMatcher = imageMatcher(spec.name),
): string | undefined {
  if (!matches(value)) return undefined;
  let { name, tag, digest } = splitImage(value);
  if (spec.newName) name = spec.newName;
  if (spec.newTag && spec.digest) {
    tag = spec.newTag;
    digest = spec.digest;
  } else if (spec.newTag) {
    tag = spec.newTag;
    digest = '';
  } else if (spec.digest) {
    tag = '';
    digest = spec.digest;
  } else if (spec.tagSuffix) {
    tag += spec.tagSuffix;
    digest = '';
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

function rewriteContainers(node: unknown, spec: ImageSpec, matches: TextMatcher): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteContainers(item, spec, matches);
    return;
  }
  if (!isJsonObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    rewriteContainers(value, spec, matches);
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const container of value) {
        if (isJsonObject(container) && typeof ownField(container, 'image') === 'string') {
          const image = rewriteImage(container.image as string, spec, matches);
          if (image !== undefined) container.image = image;
        }
      }
    }
  }
}

/** `images`: rewrites container images anywhere in an object (not in CRDs). */
export function setImages(resources: Resource[], images: ImageSpec[]): void {
  for (const spec of images) {
    const matches = imageMatcher(spec.name);
    for (const r of resources) {
      if (r.object.kind === 'CustomResourceDefinition') continue;
      rewriteContainers(r.object, spec, matches);
      for (const path of ['spec/volumes/image', 'spec/template/spec/volumes/image']) {
        visitPath(r.object, path, false, (holder, key) => {
          const v = holder[key];
          if (isJsonObject(v) && typeof ownField(v, 'reference') === 'string') {
            const image = rewriteImage(v.reference as string, spec, matches);
            if (image !== undefined) v.reference = image;
          }
        });
      }
    }
  }
}

/** `replicas`: sets spec.replicas of workloads with that name (current or any earlier name). */
export function setReplicas(
  resources: Resource[],
  replicas: { name: string; count: number }[],
  file: string,
): void {
  for (const { name, count } of replicas) {
    let found = false;
    for (const r of resources) {
      const id = curId(r);
      if (!replicaKinds.has(id.kind)) continue;
      if (id.name !== name && !r.prevIds.some((p) => p.name === name && replicaKinds.has(p.kind))) {
        continue;
      }
      found = true;
      const spec = isJsonObject(ownField(r.object, 'spec'))
        ? (r.object.spec as DataMap)
        : newDataMap();
      spec.replicas = count;
      r.object.spec = spec;
    }
    if (!found) {
      throw new RenderError(
        `${file}: replicas '${name}' matches no Deployment, ReplicationController, ReplicaSet or StatefulSet`,
        {
          file,
          hint: 'Use the name of a workload this kustomization builds.',
        },
      );
    }
  }
}
