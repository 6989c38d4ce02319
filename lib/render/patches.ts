/**
 * Applying `patches`, `patchesStrategicMerge` and `patchesJson6902` entries: telling strategic
 * merge from JSON 6902 by content, selecting targets, and keeping names, kinds and namespaces
 * unless the patch's options allow a change.
 */
import { isJsonObject, type JsonObject, type KubeObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { cloneData, newDataMap } from './data-map.ts';
import { applyJsonPatch, type JsonPatchOp, toJsonPatchOps } from './json-patch.ts';
import type { PatchSpec } from './kustomization.ts';
import type { Loader } from './loader.ts';
import {
  curId,
  describeId,
  idEquals,
  idOf,
  metadataOf,
  type Resource,
  storePreviousId,
} from './resource.ts';
import { compileSelector } from './selector.ts';
import { schemaFor, strategicMerge } from './strategic-merge.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/** A patch's text and where it came from. */
export interface PatchSource {
  text: string;
  /** The patch file, or the kustomization file for inline patches. */
  file: string;
  sensitive: boolean;
}

/** A parsed patch: strategic merge documents or JSON 6902 operations. */
type ParsedPatch = { kind: 'smp'; docs: JsonObject[] } | { kind: 'json'; ops: JsonPatchOp[] };

function parsePatch(source: PatchSource, loader: Loader): ParsedPatch {
  const { limits, budget } = loader;
  const text = source.text.trim();
  if (text === '')
    throw new RenderError(`${source.file}: the patch is empty`, { file: source.file });
  if (text.startsWith('[')) {
    let value: unknown;
    try {
      // JSON.parse makes ordinary objects: copied into data maps like every parsed value.
      value = cloneData(JSON.parse(text));
      budget.spend(text.length, source.file);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      value = parseYamlDocuments(text, source.file, limits, '1.2', budget)[0];
    }
    return { kind: 'json', ops: toJsonPatchOps(value, source.file) };
  }
  const docs = parseYamlDocuments(text, source.file, limits, '1.2', budget);
  if (docs.length === 1 && Array.isArray(docs[0])) {
    // kustomize converts YAML JSON patches with sigs.k8s.io/yaml, which reads YAML 1.1.
    const ops = parseYamlDocuments(text, source.file, limits, '1.1', budget)[0];
    return { kind: 'json', ops: toJsonPatchOps(ops, source.file) };
  }
  const out: JsonObject[] = [];
  for (const doc of docs) {
    if (!isJsonObject(doc)) {
      throw new RenderError(`${source.file}: cannot parse a strategic merge or JSON patch`, {
        file: source.file,
      });
    }
    if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      for (const item of doc.items) if (isJsonObject(item)) out.push(item);
    } else out.push(doc);
  }
  if (out.length === 0)
    throw new RenderError(`${source.file}: the patch is empty`, { file: source.file });
  return { kind: 'smp', docs: out };
}

/** Merges one strategic merge patch into a resource; false when the patch deleted it. */
function mergeInto(
  r: Resource,
  patch: JsonObject,
  spec: PatchSpec,
  source: PatchSource,
  loader: Loader,
): boolean {
  const { name, namespace } = r.object.metadata;
  const kind = r.object.kind;
  const allowName = spec.options?.allowNameChange === true;
  const allowKind = spec.options?.allowKindChange === true;
  if (allowName || allowKind) storePreviousId(r);
  const id = curId(r);
  const merged = strategicMerge(
    r.object as unknown as JsonObject,
    patch,
    schemaFor(id.group, id.kind),
    source.file,
    loader.budget,
  );
  if (merged === undefined || Object.keys(merged).length === 0) return false;
  r.object = merged as unknown as KubeObject;
  const meta = metadataOf(r.object);
  if (!allowKind) r.object.kind = kind;
  if (!allowName) {
    if (name === undefined) delete meta.name;
    else meta.name = name;
  }
  if (namespace === undefined || namespace === '') delete meta.namespace;
  else meta.namespace = namespace;
  if (source.sensitive) r.sensitive = true;
  return true;
}

/** Applies one patch entry; returns the resources that remain (a patch may delete some). */
export function applyPatch(
  resources: Resource[],
  spec: PatchSpec,
  source: PatchSource,
  loader: Loader,
  kustomizationFile: string,
): Resource[] {
  const parsed = parsePatch(source, loader);
  const deleted = new Set<Resource>();
  if (parsed.kind === 'json') {
    if (!spec.target) {
      throw new RenderError(
        `${kustomizationFile}: ${spec.field} is a JSON patch and needs a target`,
        {
          file: kustomizationFile,
        },
      );
    }
    const matches = compileSelector(spec.target, kustomizationFile, `${spec.field}.target`);
    for (const r of resources) {
      if (!matches(r)) continue;
      storePreviousId(r);
      // kustomize always carries internal annotations while building, so a patch may add to
      // /metadata/annotations even when the object has none; empty annotations go at the end.
      const meta = metadataOf(r.object);
      if (!isJsonObject(meta.annotations)) meta.annotations = newDataMap();
      const patched = applyJsonPatch(
        r.object,
        parsed.ops,
        source.file,
        describeId(curId(r)),
        loader.budget,
      );
      if (!isJsonObject(patched)) {
        throw new RenderError(
          `${source.file}: JSON patch turned ${describeId(curId(r))} into a non-object`,
          {
            file: source.file,
          },
        );
      }
      r.object = patched as unknown as KubeObject;
      // kustomize reads annotations back as strings after a JSON patch.
      const annotations = metadataOf(r.object).annotations;
      if (isJsonObject(annotations)) {
        for (const [key, value] of Object.entries(annotations)) {
          if (typeof value === 'boolean' || typeof value === 'number')
            annotations[key] = String(value);
        }
      }
      if (source.sensitive) r.sensitive = true;
    }
    return resources;
  }
  if (spec.target) {
    if (parsed.docs.length > 1) {
      throw new RenderError(
        `${kustomizationFile}: ${spec.field} has several strategic merge patches and a target; use one patch per entry`,
        { file: kustomizationFile },
      );
    }
    const patch = parsed.docs[0] as JsonObject;
    const matches = compileSelector(spec.target, kustomizationFile, `${spec.field}.target`);
    for (const r of resources) {
      if (!matches(r)) continue;
      const copy = cloneData(patch);
      copy.apiVersion = r.object.apiVersion;
      if (!Object.hasOwn(patch, 'kind')) delete copy.kind;
      if (!mergeInto(r, copy, spec, source, loader)) deleted.add(r);
    }
    return resources.filter((r) => !deleted.has(r));
  }
  for (const patch of parsed.docs) {
    const patchId = idOf(patch as unknown as KubeObject);
    const found = resources.filter(
      (r) => !deleted.has(r) && [...r.prevIds, curId(r)].some((id) => idEquals(id, patchId)),
    );
    if (found.length !== 1) {
      throw new RenderError(
        found.length === 0
          ? `${source.file}: no resource matches strategic merge patch ${describeId(patchId)}`
          : `${source.file}: strategic merge patch ${describeId(patchId)} matches ${found.length} resources`,
        {
          file: source.file,
          hint: 'A patch without a target applies to the resource with its apiVersion, kind, name and namespace.',
        },
      );
    }
    const r = found[0] as Resource;
    if (!mergeInto(r, patch, spec, source, loader)) deleted.add(r);
  }
  return resources.filter((r) => !deleted.has(r));
}
