/**
 * One kustomize build: resources, generators, components and transformers of a kustomization,
 * recursively for bases, then the top-level steps (hash suffixes, name references, dropping
 * local-config objects) and the output order.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { joinPath } from '../source/file-tree.ts';
import { ownField } from './data-map.ts';
import { absorbGenerated, generate } from './generators.ts';
import { nameHash } from './hash.ts';
import { inflateHelmChart, inheritHelmNamespace, isHelmGenerated } from './helm-inflate.ts';
import { type Kustomization, kustomizationFileNames, parseKustomization } from './kustomization.ts';
import { isWithin, type LoadContext, type Loader } from './loader.ts';
import { fixNameReferences } from './name-references.ts';
import { legacySort } from './order.ts';
import { applyPatch, type PatchSource } from './patches.ts';
import { applyReplacement } from './replacements.ts';
import {
  curId,
  describeId,
  effectiveNamespace,
  newResource,
  type Resource,
  storePreviousId,
} from './resource.ts';
import {
  addCommonAnnotations,
  addCommonLabels,
  addLabels,
  addNameAffixes,
  setImages,
  setNamespace,
  setReplicas,
} from './transformers.ts';
import { checkYamlCharacters } from './yaml-characters.ts';
import { parseManifests, parseYamlDocuments } from './yaml-documents.ts';

const manifestExtensions = /\.(ya?ml|json)$/i;

/** The load stack: kustomization directories being built, outermost first. */
type Stack = readonly string[];

function checkCycle(dir: string, stack: Stack, ctx: LoadContext): void {
  for (const outer of stack) {
    if (isWithin(outer, dir)) {
      throw new RenderError(
        `${ctx.file}: ${ctx.field} '${dir || '.'}' is ${dir === outer ? 'already being built (a cycle)' : `an ancestor of '${outer}', which is being built (a cycle)`}`,
        { file: ctx.file, hint: 'A kustomization may not include itself or a directory above it.' },
      );
    }
  }
}

/**
 * Builds the app at `dir` to its final, ordered resources. `synthesized` stands in for the
 * directory's kustomization (an app's `helm:` source): the first is built, each further one
 * transforms the previous one's output.
 */
export async function buildApp(
  loader: Loader,
  dir: string,
  synthesized?: Kustomization[],
): Promise<Resource[]> {
  const found = synthesized ? synthesized[0]?.file : await findKustomization(loader, dir);
  let resources: Resource[];
  let sort: Kustomization['sortOptions'];
  if (synthesized?.[0]) {
    resources = await accumulate(loader, synthesized[0], [], [dir]);
    for (const k of synthesized.slice(1)) resources = await transform(loader, k, resources);
  } else if (found === undefined) {
    const stat = await loader.stat(dir);
    if (stat?.kind !== 'dir') {
      throw new RenderError(`${dir || '.'}: no such directory`, { file: dir });
    }
    resources = await plainDirectory(loader, dir, []);
    checkDuplicates(resources, dir);
  } else {
    const k = await loadKustomization(loader, found, dir);
    if (k.kind === 'Component') {
      throw new RenderError(`${k.file}: a Component cannot be built on its own`, {
        file: k.file,
        hint: 'Include it from a kustomization with components.',
      });
    }
    resources = await accumulate(loader, k, [], [dir]);
    sort = k.sortOptions;
  }
  // Top level only (kustomize's makeCustomizedResMap): hash suffixes, then references to the
  // new names. A plain directory may hold kustomizations in subdirectories, so it gets them too.
  for (const r of resources) {
    if (!r.generated?.hash) continue;
    const suffix = await nameHash(r.object);
    storePreviousId(r);
    r.object.metadata.name = `${r.object.metadata.name ?? ''}-${suffix}`;
  }
  fixNameReferences(resources);
  for (const r of resources) checkYamlCharacters(r.object, r.source, describeId(curId(r)));
  resources = resources.filter(
    (r) => r.object.metadata?.annotations?.['config.kubernetes.io/local-config'] !== 'true',
  );
  for (const r of resources) {
    // kustomize drops annotations that end up empty (its own build annotations lived there).
    const meta = r.object.metadata;
    if (
      meta &&
      (meta.annotations === null ||
        (isJsonObject(meta.annotations) && Object.keys(meta.annotations).length === 0))
    ) {
      delete meta.annotations;
    }
  }
  if (sort?.order === 'fifo') return resources;
  return legacySort(resources, curId, sort?.legacySortOptions);
}

async function findKustomization(loader: Loader, dir: string): Promise<string | undefined> {
  const stat = await loader.stat(dir);
  if (stat?.kind !== 'dir') return undefined;
  const names = new Set(await loader.list(dir));
  const present = kustomizationFileNames.filter((name) => names.has(name));
  if (present.length > 1) {
    throw new RenderError(
      `${dir || '.'}: has several kustomization files (${present.join(', ')})`,
      {
        file: joinPath(dir, present[0] as string),
        hint: 'Keep exactly one.',
      },
    );
  }
  return present[0] === undefined ? undefined : joinPath(dir, present[0]);
}

async function loadKustomization(
  loader: Loader,
  file: string,
  dir: string,
): Promise<Kustomization> {
  const loaded = await loader.read(file, dir, { file, field: 'kustomization' });
  return parseKustomization(loaded.text, file, dir, loader.limits, loader.budget);
}

/** Every manifest in a directory without a kustomization (subdirectories included). */
async function plainDirectory(loader: Loader, dir: string, stack: Stack): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const name of await loader.list(dir)) {
    if (name.startsWith('.')) continue;
    const path = joinPath(dir, name);
    const stat = await loader.stat(path);
    if (stat?.kind === 'dir') {
      const sub = await findKustomization(loader, path);
      if (sub) {
        const k = await loadKustomization(loader, sub, path);
        out.push(...(await accumulate(loader, k, [], [...stack, dir, path])));
      } else out.push(...(await plainDirectory(loader, path, stack)));
    } else if (manifestExtensions.test(name)) {
      const loaded = await loader.read(path, dir, { file: path, field: 'manifest' });
      for (const object of parseManifests(loaded.text, path, loader.limits, loader.budget)) {
        out.push(newResource(object, path, loaded.sensitive));
      }
    }
    checkCount(loader, out.length, path);
  }
  return out;
}

function checkCount(loader: Loader, count: number, file: string): void {
  if (count > loader.limits.maxObjects) {
    throw new RenderError(
      `${file}: the render produces more than ${loader.limits.maxObjects} objects`,
      {
        file,
        hint: 'Split the app or raise limits.maxObjects.',
      },
    );
  }
}

function idKey(r: Resource): string {
  const id = curId(r);
  return `${id.group}|${id.version}|${id.kind}|${effectiveNamespace(id)}|${id.name}`;
}

function checkDuplicates(resources: Resource[], file: string): void {
  const seen = new Map<string, Resource>();
  for (const r of resources) {
    const key = idKey(r);
    const other = seen.get(key);
    if (other) {
      throw new RenderError(
        `${file}: ${describeId(curId(r))} is defined twice (in ${other.source} and ${r.source})`,
        { file, object: describeId(curId(r)), hint: 'Each object may appear only once.' },
      );
    }
    seen.set(key, r);
  }
}

/** Appends resources, refusing ids already present (kustomize's ResMap.Append). */
function appendAll(into: Resource[], more: Resource[], file: string): void {
  const seen = new Set(into.map(idKey));
  for (const r of more) {
    const key = idKey(r);
    if (seen.has(key)) {
      throw new RenderError(
        `${file}: ${describeId(curId(r))} is defined twice (again in ${r.source})`,
        { file, object: describeId(curId(r)), hint: 'Each object may appear only once.' },
      );
    }
    seen.add(key);
    into.push(r);
  }
}

/** kustomize's accumulateTarget: `into` is the parent's set for components, empty otherwise. */
async function accumulate(
  loader: Loader,
  k: Kustomization,
  into: Resource[],
  stack: Stack,
): Promise<Resource[]> {
  if (stack.length > loader.limits.maxDepth) {
    throw new RenderError(`${k.file}: kustomizations nest deeper than ${loader.limits.maxDepth}`, {
      file: k.file,
    });
  }
  let resources = into;
  for (const [i, entry] of k.resources.entries()) {
    const ctx = { file: k.file, field: `resources[${i}]` };
    const path = loader.resolve(k.dir, entry, ctx);
    const stat = await loader.stat(path);
    if (!stat) {
      throw new RenderError(`${k.file}: resources entry '${entry}' does not exist`, {
        file: k.file,
        hint: 'Check the path; it is relative to the kustomization directory.',
      });
    }
    if (stat.kind === 'dir') {
      checkCycle(path, stack, ctx);
      const sub = await findKustomization(loader, path);
      if (!sub) {
        throw new RenderError(
          `${k.file}: resources entry '${entry}' is a directory without a kustomization`,
          {
            file: k.file,
            hint: 'Add a kustomization.yaml there, or list its files.',
          },
        );
      }
      const subK = await loadKustomization(loader, sub, path);
      inheritHelmNamespace(k, subK);
      if (subK.kind === 'Component') {
        throw new RenderError(
          `${k.file}: resources entry '${entry}' is a Component; list it under components`,
          {
            file: k.file,
          },
        );
      }
      appendAll(resources, await accumulate(loader, subK, [], [...stack, path]), k.file);
    } else {
      const loaded = await loader.read(path, k.dir, ctx);
      const objects = parseManifests(loaded.text, path, loader.limits, loader.budget);
      appendAll(
        resources,
        objects.map((o) => newResource(o, path, loaded.sensitive)),
        k.file,
      );
    }
    checkCount(loader, resources.length, k.file);
  }
  for (const args of k.configMapGenerator) {
    absorbGenerated(resources, await generate(k, args, false, loader), k.file);
  }
  for (const args of k.secretGenerator) {
    absorbGenerated(resources, await generate(k, args, true, loader), k.file);
  }
  for (const chart of k.helmCharts) {
    appendAll(resources, await inflateHelmChart(loader, k, chart), k.file);
  }
  for (const [i, entry] of k.components.entries()) {
    const ctx = { file: k.file, field: `components[${i}]` };
    const path = loader.resolve(k.dir, entry, ctx);
    checkCycle(path, stack, ctx);
    const sub = await findKustomization(loader, path);
    if (!sub) {
      throw new RenderError(
        `${k.file}: components entry '${entry}' is not a directory with a kustomization`,
        {
          file: k.file,
        },
      );
    }
    const subK = await loadKustomization(loader, sub, path);
    inheritHelmNamespace(k, subK);
    if (subK.kind !== 'Component') {
      throw new RenderError(
        `${k.file}: components entry '${entry}' is a ${subK.kind}, expected kind Component`,
        {
          file: k.file,
        },
      );
    }
    resources = await accumulate(loader, subK, resources, [...stack, path]);
  }
  resources = await transform(loader, k, resources);
  checkCount(loader, resources.length, k.file);
  checkIdentities(resources, k.file);
  return resources;
}

/**
 * kustomize refuses an object its transformers left without a kind or a name (a JSON patch
 * `remove /metadata/name`, a replacement writing an empty name): such an object cannot be
 * applied, and must not slip through as a render that succeeded.
 */
function checkIdentities(resources: Resource[], file: string): void {
  for (const r of resources) {
    const kind = ownField(r.object, 'kind');
    const metadata = ownField(r.object, 'metadata');
    const name = isJsonObject(metadata) ? ownField(metadata, 'name') : undefined;
    const missing =
      typeof kind !== 'string' || kind === ''
        ? 'kind'
        : !isScalarName(name)
          ? 'metadata.name'
          : undefined;
    if (missing) {
      const was = describeId(r.orgId);
      throw new RenderError(
        `${file}: ${was} (from ${r.source}) has no ${missing} after this kustomization's transformations`,
        {
          file,
          object: was,
          hint: `A patch or replacement removed or emptied ${missing}; every object needs a kind and a name.`,
        },
      );
    }
  }
}

/** A name kustomize accepts: a non-empty string, or a number or boolean it prints as written. */
function isScalarName(name: unknown): boolean {
  return (
    (typeof name === 'string' && name !== '') ||
    typeof name === 'number' ||
    typeof name === 'boolean'
  );
}

async function patchSource(
  loader: Loader,
  k: Kustomization,
  spec: { path?: string | undefined; patch?: string | undefined; field: string },
): Promise<PatchSource> {
  if (spec.patch !== undefined) return { text: spec.patch, file: k.file, sensitive: false };
  const ctx = { file: k.file, field: `${spec.field}.path` };
  const path = loader.resolve(k.dir, spec.path as string, ctx);
  const loaded = await loader.read(path, k.dir, ctx);
  return { text: loaded.text, file: path, sensitive: loaded.sensitive };
}

async function transform(loader: Loader, k: Kustomization, input: Resource[]): Promise<Resource[]> {
  let resources = input;
  for (const spec of k.patchesStrategicMerge) {
    resources = applyPatch(resources, spec, await patchSource(loader, k, spec), loader, k.file);
  }
  for (const spec of k.patches) {
    resources = applyPatch(resources, spec, await patchSource(loader, k, spec), loader, k.file);
  }
  // As kustomize 5.8: a chart's objects keep the namespace helm gave them.
  if (k.namespace)
    setNamespace(
      resources.filter((r) => !isHelmGenerated(r)),
      k.namespace,
      k.file,
    );
  if (k.namePrefix || k.nameSuffix)
    addNameAffixes(resources, k.namePrefix ?? '', k.nameSuffix ?? '');
  for (const label of k.labels) addLabels(resources, label, k.file);
  addCommonLabels(resources, k.commonLabels, k.file);
  addCommonAnnotations(resources, k.commonAnnotations, k.file);
  for (const spec of k.patchesJson6902) {
    resources = applyPatch(resources, spec, await patchSource(loader, k, spec), loader, k.file);
  }
  if (k.replicas.length > 0) setReplicas(resources, k.replicas, k.file);
  if (k.images.length > 0) setImages(resources, k.images);
  for (const [i, entry] of k.replacements.entries()) {
    if (typeof entry.path === 'string' && Object.keys(entry).length === 1) {
      const ctx = { file: k.file, field: `replacements[${i}].path` };
      const path = loader.resolve(k.dir, entry.path, ctx);
      const loaded = await loader.read(path, k.dir, ctx);
      for (const doc of parseYamlDocuments(
        loaded.text,
        path,
        loader.limits,
        '1.2',
        loader.budget,
      )) {
        for (const item of Array.isArray(doc) ? doc : [doc]) {
          if (!isJsonObject(item))
            throw new RenderError(`${path}: a replacement must be a mapping`, { file: path });
          applyReplacement(resources, item, path, loader.budget);
        }
      }
    } else applyReplacement(resources, entry as Record<string, unknown>, k.file, loader.budget);
  }
  return resources;
}
