/**
 * Values precedence exactly as `kustomize build --enable-helm` gives it, which is not the
 * obvious one. kustomize hands helm one values file built from `valuesFile` (the chart's own
 * `values.yaml` when unset) and `valuesInline`, then every `additionalValuesFiles` entry:
 *
 * - no `valuesInline`: `valuesFile` as written;
 * - `valuesMerge: override` (the default): `valuesFile` with `valuesInline` merged over it;
 * - `valuesMerge: merge`: `valuesInline` with `valuesFile` merged over it (the file wins);
 * - `valuesMerge: replace`: `valuesInline` alone (`valuesFile` is not read at all);
 *
 * and `additionalValuesFiles` come after, so they win over `valuesInline` too. The merge is
 * kyaml's (maps merge, lists and scalars are replaced, `null` deletes the key from the merged
 * file, so helm then falls back to the chart's default), on the file read as YAML 1.2.
 */
import { isJsonObject, type JsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { HelmChartSpec } from './helm-chart-spec.ts';
import type { RenderLimits } from './limits.ts';
import { schemaFor, strategicMerge } from './strategic-merge.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/** A values file as loaded, with the path it came from for messages. */
export interface ValuesSource {
  path: string;
  bytes: Uint8Array;
}

/** Values have no Kubernetes schema: every list is replaced, never merged by key. */
const noSchema = schemaFor('values.helm.invalid', 'Values');

/**
 * The values documents to pass to helm with `-f`, in order. `valuesFile` is undefined only
 * when `valuesMerge` is `replace` with inline values (kustomize does not read it then).
 */
export function helmValuesDocuments(
  spec: HelmChartSpec,
  valuesFile: ValuesSource | undefined,
  additional: ValuesSource[],
  file: string,
  limits: RenderLimits,
): Uint8Array[] {
  const first = firstDocument(spec, valuesFile, file, limits);
  return [first, ...additional.map((source) => source.bytes)];
}

/** True when the chart's `valuesFile` is read at all. */
export function readsValuesFile(spec: HelmChartSpec): boolean {
  return !(spec.valuesInline && spec.valuesMerge === 'replace');
}

function firstDocument(
  spec: HelmChartSpec,
  valuesFile: ValuesSource | undefined,
  file: string,
  limits: RenderLimits,
): Uint8Array {
  const inline = spec.valuesInline as JsonObject | undefined;
  if (!inline) {
    if (!valuesFile) throw new Error('helm values: the values file was not loaded');
    return valuesFile.bytes;
  }
  if (spec.valuesMerge === 'replace') return encodeValues(inline, file, spec.field);
  if (!valuesFile) throw new Error('helm values: the values file was not loaded');
  const fromFile = parseValuesFile(valuesFile, limits);
  checkSameKinds(fromFile, inline, [], valuesFile.path, file, spec.field);
  const merged =
    spec.valuesMerge === 'override'
      ? strategicMerge(fromFile, inline, noSchema, file)
      : strategicMerge(inline, fromFile, noSchema, valuesFile.path);
  return encodeValues(merged ?? {}, file, spec.field);
}

type NodeKind = 'a mapping' | 'a list' | 'a scalar';

function kindOf(value: unknown): NodeKind {
  return Array.isArray(value) ? 'a list' : isJsonObject(value) ? 'a mapping' : 'a scalar';
}

/**
 * kyaml's merge refuses to merge two values of different kinds at one path (a mapping in the
 * values file where valuesInline has a scalar, say): kustomize fails the build, and so does
 * Plumbline, naming the path. Lists are replaced whole, so only mappings are walked into.
 */
function checkSameKinds(
  a: unknown,
  b: unknown,
  path: string[],
  valuesPath: string,
  file: string,
  field: string,
): void {
  if (a === null || a === undefined || b === null || b === undefined) return;
  const [ka, kb] = [kindOf(a), kindOf(b)];
  if (ka !== kb) {
    throw new RenderError(
      `${file}: ${field}: the values at '${path.join('.') || '.'}' cannot be merged: ${valuesPath} has ${ka}, valuesInline has ${kb}`,
      { file, hint: 'Give both the same shape, or use valuesMerge: replace.' },
    );
  }
  if (ka !== 'a mapping') return;
  const [ma, mb] = [a as JsonObject, b as JsonObject];
  for (const key of Object.keys(mb)) {
    if (Object.hasOwn(ma, key))
      checkSameKinds(ma[key], mb[key], [...path, key], valuesPath, file, field);
  }
}

/** The first document of a values file as a mapping (an empty file is an empty mapping). */
function parseValuesFile(source: ValuesSource, limits: RenderLimits): JsonObject {
  const text = new TextDecoder().decode(source.bytes);
  const docs = parseYamlDocuments(text, source.path, limits, '1.2');
  const value = docs[0];
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) {
    throw new RenderError(`${source.path}: a values file must be a YAML mapping`, {
      file: source.path,
      hint: 'Write values as key: value pairs at the top level.',
    });
  }
  return value as JsonObject;
}

/**
 * Values as the JSON text helm reads (JSON is YAML), as kustomize writes its merged file
 * through JSON. Infinite and NaN numbers have no JSON form: kustomize fails on them too.
 */
function encodeValues(values: unknown, file: string, field: string): Uint8Array {
  const text = JSON.stringify(values, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RenderError(`${file}: ${field}: values hold a number JSON cannot carry (inf/nan)`, {
        file,
        hint: 'Quote the value, or use a finite number.',
      });
    }
    return value;
  });
  return new TextEncoder().encode(text);
}
