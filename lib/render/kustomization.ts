/**
 * The kustomization file: finding it, parsing it and validating every field up front, so an
 * unsupported or unknown field is an error naming the file and the field rather than something
 * silently ignored.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderBudget } from './budget.ts';
import { newDataMap } from './data-map.ts';
import {
  type HelmChartSpec,
  type HelmGlobalsSpec,
  parseHelmCharts,
  parseHelmGlobals,
} from './helm-chart-spec.ts';
import type { RenderLimits } from './limits.ts';
import { checkYamlCharacters } from './yaml-characters.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/** File names kustomize recognises, in the order it looks for them. */
export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A patch target selector. */
export interface Selector {
  group?: string | undefined;
  version?: string | undefined;
  kind?: string | undefined;
  name?: string | undefined;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  annotationSelector?: string | undefined;
}

/** One entry of `patches` (or a converted `patchesStrategicMerge`/`patchesJson6902` entry). */
export interface PatchSpec {
  path?: string | undefined;
  patch?: string | undefined;
  target?: Selector | undefined;
  options?: { allowNameChange?: boolean; allowKindChange?: boolean } | undefined;
  /** The field it came from, for messages. */
  field: string;
}

/** Options shared by generators. */
export interface GeneratorOptions {
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  disableNameSuffixHash?: boolean | undefined;
  immutable?: boolean | undefined;
}

/** One configMapGenerator or secretGenerator entry. */
export interface GeneratorArgs {
  name?: string | undefined;
  namespace?: string | undefined;
  behavior?: string | undefined;
  literals: string[];
  files: string[];
  envs: string[];
  options?: GeneratorOptions | undefined;
  type?: string | undefined;
  field: string;
}

/** One `labels` entry. */
export interface LabelSpec {
  pairs: Record<string, string>;
  includeSelectors: boolean;
  includeTemplates: boolean;
  fields: {
    path: string;
    kind?: string | undefined;
    group?: string | undefined;
    version?: string | undefined;
    create?: boolean | undefined;
  }[];
}

/** One `images` entry. */
export interface ImageSpec {
  name: string;
  newName?: string | undefined;
  newTag?: string | undefined;
  digest?: string | undefined;
  tagSuffix?: string | undefined;
}

/** A parsed, validated kustomization (or component). */
export interface Kustomization {
  file: string;
  dir: string;
  kind: 'Kustomization' | 'Component';
  resources: string[];
  components: string[];
  namespace?: string | undefined;
  namePrefix?: string | undefined;
  nameSuffix?: string | undefined;
  commonLabels: Record<string, string>;
  labels: LabelSpec[];
  commonAnnotations: Record<string, string>;
  images: ImageSpec[];
  replicas: { name: string; count: number }[];
  patches: PatchSpec[];
  patchesStrategicMerge: PatchSpec[];
  patchesJson6902: PatchSpec[];
  configMapGenerator: GeneratorArgs[];
  secretGenerator: GeneratorArgs[];
  generatorOptions?: GeneratorOptions | undefined;
  /** Entries are inline replacements or `{path}` to a file of them. */
  replacements: ({ path: string } | Record<string, unknown>)[];
  sortOptions?:
    | {
        order: 'legacy' | 'fifo';
        legacySortOptions?: { orderFirst: string[]; orderLast: string[] } | undefined;
      }
    | undefined;
  /** Charts inflated by `helm template` (see `helm-inflate.ts`). */
  helmCharts: HelmChartSpec[];
  helmGlobals: HelmGlobalsSpec;
}

const unsupported: Record<string, string> = {
  helmChartInflationGenerator: 'Use helmCharts (kustomize deprecates helmChartInflationGenerator).',
  generators: 'Plugin generators run code; commit their output instead.',
  transformers: 'Plugin transformers run code; use patches or replacements instead.',
  validators: 'Plugin validators are not supported.',
  vars: 'Use replacements instead of vars (kustomize deprecates vars).',
  configurations: 'Custom transformer configurations are not supported.',
  crds: 'Custom CRD name-reference configuration is not supported.',
  openapi: 'Custom OpenAPI schemas are not supported.',
  buildMetadata: 'buildMetadata is not supported.',
};

const known = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'images',
  'imageTags',
  'replicas',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'replacements',
  'sortOptions',
  'helmCharts',
  'helmGlobals',
]);

/** Parses and validates a kustomization file's text. */
export function parseKustomization(
  text: string,
  file: string,
  dir: string,
  limits: RenderLimits,
  budget?: RenderBudget,
): Kustomization {
  const docs = parseYamlDocuments(text, file, limits, '1.1', budget);
  if (docs.length > 1) {
    throw new RenderError(`${file}: holds more than one YAML document`, { file });
  }
  const raw = docs[0] ?? {};
  if (!isJsonObject(raw)) {
    throw new RenderError(`${file}: is not a YAML mapping`, { file });
  }
  checkYamlCharacters(raw, file, 'the kustomization');
  const v = new Validator(file);
  for (const key of Object.keys(raw)) {
    const hint = Object.hasOwn(unsupported, key) ? unsupported[key] : undefined;
    if (hint) {
      throw new RenderError(`${file}: field '${key}' is not supported by Plumbline`, {
        file,
        hint,
      });
    }
    if (!known.has(key)) {
      throw new RenderError(`${file}: unknown field '${key}'`, {
        file,
        hint: 'Check the spelling against the kustomization reference.',
      });
    }
  }
  const kindValue = raw.kind ?? 'Kustomization';
  if (kindValue !== 'Kustomization' && kindValue !== 'Component') {
    throw new RenderError(
      `${file}: kind '${String(kindValue)}' is not Kustomization or Component`,
      {
        file,
      },
    );
  }
  const images = [...v.list(raw, 'images'), ...v.list(raw, 'imageTags')].map((entry, i) => {
    const m = v.map(entry, `images[${i}]`);
    v.only(m, `images[${i}]`, ['name', 'newName', 'newTag', 'digest', 'tagSuffix']);
    return {
      name: v.reqString(m, 'name', `images[${i}]`),
      newName: v.optString(m, 'newName', `images[${i}]`),
      newTag: v.optString(m, 'newTag', `images[${i}]`),
      digest: v.optString(m, 'digest', `images[${i}]`),
      tagSuffix: v.optString(m, 'tagSuffix', `images[${i}]`),
    };
  });
  return {
    file,
    dir,
    kind: kindValue,
    resources: [...v.strings(raw, 'resources'), ...v.strings(raw, 'bases')],
    components: v.strings(raw, 'components'),
    namespace: v.optString(raw, 'namespace', ''),
    namePrefix: v.optString(raw, 'namePrefix', ''),
    nameSuffix: v.optString(raw, 'nameSuffix', ''),
    commonLabels: v.stringMap(raw.commonLabels, 'commonLabels'),
    labels: v.list(raw, 'labels').map((entry, i) => {
      const m = v.map(entry, `labels[${i}]`);
      v.only(m, `labels[${i}]`, ['pairs', 'includeSelectors', 'includeTemplates', 'fields']);
      return {
        pairs: v.stringMap(m.pairs, `labels[${i}].pairs`),
        includeSelectors: m.includeSelectors === true,
        includeTemplates: m.includeTemplates === true,
        fields: v.list(m, 'fields', `labels[${i}]`).map((f, j) => {
          const fm = v.map(f, `labels[${i}].fields[${j}]`);
          return {
            path: v.reqString(fm, 'path', `labels[${i}].fields[${j}]`),
            kind: v.optString(fm, 'kind', ''),
            group: v.optString(fm, 'group', ''),
            version: v.optString(fm, 'version', ''),
            create: fm.create === true,
          };
        }),
      };
    }),
    commonAnnotations: v.stringMap(raw.commonAnnotations, 'commonAnnotations'),
    images,
    replicas: v.list(raw, 'replicas').map((entry, i) => {
      const m = v.map(entry, `replicas[${i}]`);
      v.only(m, `replicas[${i}]`, ['name', 'count']);
      const count = m.count;
      if (typeof count !== 'number' || !Number.isInteger(count)) {
        throw new RenderError(`${file}: replicas[${i}].count must be an integer`, { file });
      }
      return { name: v.reqString(m, 'name', `replicas[${i}]`), count };
    }),
    patches: v.list(raw, 'patches').map((entry, i) => v.patch(entry, `patches[${i}]`)),
    patchesStrategicMerge: v.list(raw, 'patchesStrategicMerge').map((entry, i) => {
      const field = `patchesStrategicMerge[${i}]`;
      if (typeof entry !== 'string') {
        throw new RenderError(`${file}: ${field} must be a file path or an inline patch`, { file });
      }
      // kustomize accepts an inline patch here when the entry is not a plain file name.
      return entry.includes('\n') || entry.trimStart().startsWith('{')
        ? { patch: entry, field }
        : { path: entry, field };
    }),
    patchesJson6902: v.list(raw, 'patchesJson6902').map((entry, i) => {
      const p = v.patch(entry, `patchesJson6902[${i}]`);
      if (!p.target) {
        throw new RenderError(`${file}: patchesJson6902[${i}] needs a target`, { file });
      }
      return p;
    }),
    configMapGenerator: v
      .list(raw, 'configMapGenerator')
      .map((e, i) => v.generator(e, `configMapGenerator[${i}]`, false)),
    secretGenerator: v
      .list(raw, 'secretGenerator')
      .map((e, i) => v.generator(e, `secretGenerator[${i}]`, true)),
    generatorOptions:
      raw.generatorOptions === undefined
        ? undefined
        : v.generatorOptions(raw.generatorOptions, 'generatorOptions'),
    replacements: v.list(raw, 'replacements').map((entry, i) => {
      const m = v.map(entry, `replacements[${i}]`);
      v.only(m, `replacements[${i}]`, ['path', 'source', 'sourceValue', 'targets']);
      if (typeof m.path === 'string') return { path: m.path };
      return m;
    }),
    sortOptions: raw.sortOptions === undefined ? undefined : v.sortOptions(raw.sortOptions),
    helmCharts: parseHelmCharts(raw.helmCharts, file),
    helmGlobals: parseHelmGlobals(raw.helmGlobals, file),
  };
}

/** Type checks with messages that name the file and field. */
class Validator {
  readonly #file: string;
  constructor(file: string) {
    this.#file = file;
  }

  fail(field: string, what: string): never {
    throw new RenderError(`${this.#file}: ${field} ${what}`, { file: this.#file });
  }

  map(value: unknown, field: string): Record<string, unknown> {
    if (!isJsonObject(value)) this.fail(field, 'must be a mapping');
    return value as Record<string, unknown>;
  }

  only(m: Record<string, unknown>, field: string, keys: string[]): void {
    for (const key of Object.keys(m)) {
      if (!keys.includes(key)) this.fail(`${field}`, `has unknown field '${key}'`);
    }
  }

  list(m: Record<string, unknown>, key: string, parent = ''): unknown[] {
    const value = m[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(parent ? `${parent}.${key}` : key, 'must be a list');
    return value;
  }

  strings(m: Record<string, unknown>, key: string, parent = ''): string[] {
    return this.list(m, key, parent).map((item, i) => {
      if (typeof item !== 'string')
        this.fail(`${parent ? `${parent}.` : ''}${key}[${i}]`, 'must be a string');
      return item;
    });
  }

  optString(m: Record<string, unknown>, key: string, parent: string): string | undefined {
    const value = m[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(parent ? `${parent}.${key}` : key, 'must be a string');
    return value;
  }

  reqString(m: Record<string, unknown>, key: string, parent: string): string {
    const value = this.optString(m, key, parent);
    if (value === undefined) this.fail(`${parent}.${key}`, 'is required');
    return value;
  }

  stringMap(value: unknown, field: string): Record<string, string> {
    if (value === undefined || value === null) return {};
    const m = this.map(value, field);
    const out = newDataMap<string>();
    for (const [k, item] of Object.entries(m)) {
      // As in kustomize, `version: 1.0` or `enabled: yes` is not a string: it must be quoted.
      if (item !== null && typeof item !== 'string') {
        this.fail(`${field}.${k}`, 'must be a string (quote it)');
      }
      out[k] = item ?? '';
    }
    return out;
  }

  selector(value: unknown, field: string): Selector {
    const m = this.map(value, field);
    const keys = [
      'group',
      'version',
      'kind',
      'name',
      'namespace',
      'labelSelector',
      'annotationSelector',
    ];
    this.only(m, field, keys);
    const out: Selector = {};
    for (const key of keys) {
      const s = this.optString(m, key, field);
      if (s !== undefined) (out as Record<string, string>)[key] = s;
    }
    return out;
  }

  patch(value: unknown, field: string): PatchSpec {
    const m = this.map(value, field);
    this.only(m, field, ['path', 'patch', 'target', 'options']);
    const path = this.optString(m, 'path', field);
    const patch = this.optString(m, 'patch', field);
    if (path === undefined && patch === undefined) this.fail(field, "needs 'path' or 'patch'");
    if (path !== undefined && patch !== undefined) this.fail(field, "has both 'path' and 'patch'");
    const options = m.options === undefined ? undefined : this.map(m.options, `${field}.options`);
    return {
      path,
      patch,
      target:
        m.target === undefined || m.target === null
          ? undefined
          : this.selector(m.target, `${field}.target`),
      options: options && {
        allowNameChange: options.allowNameChange === true,
        allowKindChange: options.allowKindChange === true,
      },
      field,
    };
  }

  generatorOptions(value: unknown, field: string): GeneratorOptions {
    const m = this.map(value, field);
    this.only(m, field, ['labels', 'annotations', 'disableNameSuffixHash', 'immutable']);
    return {
      labels: m.labels === undefined ? undefined : this.stringMap(m.labels, `${field}.labels`),
      annotations:
        m.annotations === undefined
          ? undefined
          : this.stringMap(m.annotations, `${field}.annotations`),
      disableNameSuffixHash:
        m.disableNameSuffixHash === undefined ? undefined : m.disableNameSuffixHash === true,
      immutable: m.immutable === undefined ? undefined : m.immutable === true,
    };
  }

  generator(value: unknown, field: string, secret: boolean): GeneratorArgs {
    const m = this.map(value, field);
    const keys = ['name', 'namespace', 'behavior', 'literals', 'files', 'envs', 'env', 'options'];
    if (secret) keys.push('type');
    this.only(m, field, keys);
    const behavior = this.optString(m, 'behavior', field);
    if (behavior !== undefined && !['create', 'merge', 'replace', ''].includes(behavior)) {
      this.fail(`${field}.behavior`, `'${behavior}' must be create, merge or replace`);
    }
    const env = this.optString(m, 'env', field);
    return {
      name: this.optString(m, 'name', field),
      namespace: this.optString(m, 'namespace', field),
      behavior: behavior || undefined,
      literals: this.strings(m, 'literals', field),
      files: this.strings(m, 'files', field),
      envs: [...(env ? [env] : []), ...this.strings(m, 'envs', field)],
      options:
        m.options === undefined ? undefined : this.generatorOptions(m.options, `${field}.options`),
      type: secret ? this.optString(m, 'type', field) : undefined,
      field,
    };
  }

  sortOptions(value: unknown): NonNullable<Kustomization['sortOptions']> {
    const m = this.map(value, 'sortOptions');
    this.only(m, 'sortOptions', ['order', 'legacySortOptions']);
    if (m.order !== 'legacy' && m.order !== 'fifo')
      this.fail('sortOptions.order', 'must be legacy or fifo');
    if (m.legacySortOptions !== undefined && m.order !== 'legacy') {
      this.fail('sortOptions.legacySortOptions', "is set but the order is not 'legacy'");
    }
    const legacy =
      m.legacySortOptions === undefined
        ? undefined
        : this.map(m.legacySortOptions, 'sortOptions.legacySortOptions');
    return {
      order: m.order,
      legacySortOptions: legacy && {
        orderFirst: this.strings(legacy, 'orderFirst', 'sortOptions.legacySortOptions'),
        orderLast: this.strings(legacy, 'orderLast', 'sortOptions.legacySortOptions'),
      },
    };
  }
}
