/**
 * configMapGenerator and secretGenerator: key/value pairs from env files, literals and files,
 * generator options, and the create/merge/replace behaviours against resources of the same id.
 */
import { toBase64 } from '../core/encoding.ts';
import type { KubeObject } from '../core/object.ts';
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { basename } from '../source/file-tree.ts';
import { dataMapFrom, newDataMap, ownField } from './data-map.ts';
import { compareGoStrings } from './go-string-order.ts';
import type { GeneratorArgs, GeneratorOptions, Kustomization } from './kustomization.ts';
import type { LoadContext, Loader } from './loader.ts';
import {
  curId,
  describeId,
  type GeneratorBehavior,
  idEquals,
  newResource,
  type Resource,
} from './resource.ts';

interface Pair {
  key: string;
  value: Uint8Array | string;
}

function removeQuotes(value: string): string {
  if (value.length < 2 || value[0] !== value[value.length - 1]) return value;
  return value[0] === '"' || value[0] === "'" ? value.slice(1, -1) : value;
}

/** Env-file lines as kustomize reads them: keys taken as written (the API server validates). */
function envPairs(text: string): Pair[] {
  const out: Pair[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    out.push({ key, value: eq < 0 ? '' : line.slice(eq + 1) });
  }
  return out;
}

/** Merged global and local generator options (local labels and annotations win). */
export function mergeOptions(
  global?: GeneratorOptions,
  local?: GeneratorOptions,
): GeneratorOptions {
  return {
    labels:
      global?.labels || local?.labels
        ? dataMapFrom<string>(global?.labels, local?.labels)
        : undefined,
    annotations:
      global?.annotations || local?.annotations
        ? dataMapFrom<string>(global?.annotations, local?.annotations)
        : undefined,
    // kustomize's options are plain booleans: `false` locally cannot undo `true` globally.
    disableNameSuffixHash:
      (local?.disableNameSuffixHash ?? false) || (global?.disableNameSuffixHash ?? false),
    immutable: (local?.immutable ?? false) || (global?.immutable ?? false),
  };
}

/** kustomize breaks generated base64 into lines of this many characters. */
const base64LineLength = 70;

/**
 * Base64 as kustomize 5.8 writes generated Secret data and ConfigMap binaryData: a value of 70
 * or more characters is broken into lines of 70, each ending in a newline (so it prints as a
 * literal block, and the name hash covers the line breaks).
 */
export function generatedBase64(value: Uint8Array | string): string {
  const encoded = toBase64(value);
  if (encoded.length < base64LineLength) return encoded;
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += base64LineLength) {
    lines.push(encoded.slice(i, i + base64LineLength), '\n');
  }
  return lines.join('');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The value as text when it is valid UTF-8 (a file's leading BOM is data here). */
function utf8(value: Uint8Array | string): string | undefined {
  if (typeof value === 'string') return value;
  try {
    return strictUtf8.decode(value);
  } catch {
    return undefined;
  }
}

/** Generates the resource of one generator entry. */
export async function generate(
  k: Kustomization,
  args: GeneratorArgs,
  secret: boolean,
  loader: Loader,
): Promise<Resource> {
  const file = k.file;
  let sensitive = false;
  const ctx = (field: string): LoadContext => ({ file, field: `${args.field}.${field}` });
  const pairs: Pair[] = [];
  for (const env of args.envs) {
    const path = loader.resolve(k.dir, env, ctx('envs'));
    const loaded = await loader.read(path, k.dir, ctx('envs'));
    sensitive ||= loaded.sensitive;
    pairs.push(...envPairs(loaded.text));
  }
  for (const literal of args.literals) {
    const eq = literal.indexOf('=');
    if (eq <= 0) {
      throw new RenderError(
        `${file}: ${args.field}.literals '${literal.split('=')[0]}' must be key=value`,
        {
          file,
        },
      );
    }
    pairs.push({ key: literal.slice(0, eq), value: removeQuotes(literal.slice(eq + 1)) });
  }
  for (const source of args.files) {
    const eq = source.indexOf('=');
    const key = eq < 0 ? basename(source) : source.slice(0, eq);
    const rel = eq < 0 ? source : source.slice(eq + 1);
    if (key === '' || rel === '') {
      throw new RenderError(`${file}: ${args.field}.files '${source}' must be path or key=path`, {
        file,
      });
    }
    const path = loader.resolve(k.dir, rel, ctx('files'));
    const loaded = await loader.read(path, k.dir, ctx('files'));
    sensitive ||= loaded.sensitive;
    pairs.push({ key, value: loaded.bytes });
  }
  const name = args.name ?? '';
  if (name === '') throw new RenderError(`${file}: ${args.field} needs a name`, { file });
  // Keys come from the repository: data maps, so `__proto__` is a key like any other.
  const data = newDataMap<string>();
  const binaryData = newDataMap<string>();
  for (const { key, value } of pairs) {
    if (Object.hasOwn(data, key) || Object.hasOwn(binaryData, key)) {
      throw new RenderError(`${file}: ${args.field} '${name}' repeats the key '${key}'`, { file });
    }
    if (secret) data[key] = generatedBase64(value);
    else {
      const text = utf8(value);
      if (text === undefined) binaryData[key] = generatedBase64(value);
      else data[key] = text;
    }
  }
  const options = mergeOptions(k.generatorOptions, args.options);
  const metadata = newDataMap();
  metadata.name = name;
  if (args.namespace) metadata.namespace = args.namespace;
  if (options.labels && Object.keys(options.labels).length > 0)
    metadata.labels = dataMapFrom(options.labels);
  if (options.annotations && Object.keys(options.annotations).length > 0) {
    metadata.annotations = dataMapFrom(options.annotations);
  }
  const object = newDataMap();
  object.apiVersion = 'v1';
  object.kind = secret ? 'Secret' : 'ConfigMap';
  object.metadata = metadata;
  if (Object.keys(data).length > 0 || Object.keys(binaryData).length === 0)
    object.data = sortMap(data);
  if (Object.keys(binaryData).length > 0) object.binaryData = sortMap(binaryData);
  if (secret) object.type = args.type || 'Opaque';
  if (options.immutable) object.immutable = true;
  const resource = newResource(object as unknown as KubeObject, file, sensitive);
  resource.generated = {
    behavior: (args.behavior ?? 'create') as GeneratorBehavior,
    hash: !options.disableNameSuffixHash,
  };
  return resource;
}

/** An own field that holds a mapping, or undefined. */
function ownMap(holder: object, field: string): object | undefined {
  const value = ownField(holder, field);
  return isJsonObject(value) ? value : undefined;
}

function sortMap(m: Record<string, string>): Record<string, string> {
  const out = newDataMap<string>();
  for (const key of Object.keys(m).sort(compareGoStrings)) out[key] = m[key] as string;
  return out;
}

/** Adds a generated resource to the set: appended, merged into or replacing its namesake. */
export function absorbGenerated(resources: Resource[], res: Resource, file: string): void {
  const id = curId(res);
  const matches = resources.filter((r) => [...r.prevIds, curId(r)].some((p) => idEquals(p, id)));
  const behavior = res.generated?.behavior ?? 'create';
  if (matches.length === 0) {
    if (behavior !== 'create') {
      throw new RenderError(`${file}: ${describeId(id)} does not exist; cannot ${behavior} it`, {
        file,
        hint: "Use behavior 'create', or build the base that generates it.",
      });
    }
    resources.push(res);
    return;
  }
  if (matches.length > 1) {
    throw new RenderError(`${file}: several resources could take ${describeId(id)}`, { file });
  }
  const old = matches[0] as Resource;
  if (behavior === 'create') {
    throw new RenderError(
      `${file}: ${describeId(id)} already exists; use behavior merge or replace`,
      { file },
    );
  }
  const meta = res.object.metadata;
  const oldMeta = old.object.metadata;
  const labels = dataMapFrom<string>(ownMap(oldMeta, 'labels'), ownMap(meta, 'labels'));
  const annotations = dataMapFrom<string>(
    ownMap(oldMeta, 'annotations'),
    ownMap(meta, 'annotations'),
  );
  meta.labels = labels;
  if (Object.keys(labels).length === 0) delete meta.labels;
  meta.annotations = annotations;
  if (Object.keys(annotations).length === 0) delete meta.annotations;
  if (oldMeta.name === undefined) delete meta.name;
  else meta.name = oldMeta.name;
  if (oldMeta.namespace) meta.namespace = oldMeta.namespace;
  else delete meta.namespace;
  if (behavior === 'merge') {
    for (const field of ['data', 'binaryData'] as const) {
      const merged = dataMapFrom(ownMap(old.object, field), ownMap(res.object, field));
      if (Object.keys(merged).length > 0) res.object[field] = merged;
    }
  }
  res.orgId = old.orgId;
  res.prevIds = old.prevIds;
  res.prefixes = old.prefixes;
  res.suffixes = old.suffixes;
  res.sensitive ||= old.sensitive;
  resources[resources.indexOf(old)] = res;
}
