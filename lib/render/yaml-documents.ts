/**
 * Parsing manifests: multi-document YAML (or JSON) into objects, `*List` kinds expanded, with
 * alias expansion and object counts bounded. Keys keep the order they were written in.
 */
import { Composer, type Document, LineCounter, Parser, type ScalarTag, type Tags } from 'yaml';
import type { KubeObject } from '../core/object.ts';
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderLimits } from './limits.ts';

/** go-yaml v3 reads `0644` as octal (Go's base-0 integers), where YAML 1.2 reads 644. */
const goOctal: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?0[0-7_]+$/,
  resolve: (text) => Number.parseInt(text.replace(/_/g, ''), 8),
};

/**
 * Parses every non-empty YAML document of `text` into plain values. Manifests are YAML 1.2 (as
 * kyaml reads them); kustomization files are YAML 1.1 (as sigs.k8s.io/yaml reads them, so
 * `namespace: no` is a boolean there).
 */
export function parseYamlDocuments(
  text: string,
  file: string,
  limits: RenderLimits,
  version: '1.1' | '1.2' = '1.2',
): unknown[] {
  const lineCounter = new LineCounter();
  // Documents are composed one at a time so each syntax tree can be freed before the next:
  // a 5,000-object file never holds 5,000 trees at once.
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({
    merge: true,
    version,
    ...(version === '1.2' ? { customTags: (tags: Tags) => [goOctal, ...tags] } : {}),
  });
  const values: unknown[] = [];
  try {
    for (const doc of composer.compose(parser.parse(text))) {
      const value = documentValue(doc, file, limits, lineCounter);
      if (value === undefined) continue;
      values.push(value);
      if (values.length > limits.maxObjects) {
        throw new RenderError(`${file}: more than ${limits.maxObjects} documents`, { file });
      }
    }
  } catch (error) {
    if (error instanceof RangeError) {
      // Pathologically deep nesting exhausts the parser's stack: a render error, not a crash.
      throw new RenderError(`${file}: YAML nests too deeply to parse`, { file, cause: error });
    }
    throw error;
  }
  return values;
}

/** The plain value of one composed document, or undefined for an empty one. */
function documentValue(
  doc: Document.Parsed,
  file: string,
  limits: RenderLimits,
  lineCounter: LineCounter,
): unknown {
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? lineCounter.linePos(problem.pos[0]).line;
    throw new RenderError(
      `${file}${line ? `:${line}` : ''}: invalid YAML: ${problem.message.split('\n')[0]}`,
      { file, line, cause: problem, hint: 'Fix the YAML syntax.' },
    );
  }
  if (doc.contents === null) return undefined;
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliasCount }) ?? undefined;
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new RenderError(
      `${file}: YAML aliases expand beyond the render limit (${limits.maxAliasCount})`,
      { file, cause: error, hint: 'Avoid deeply nested YAML aliases.' },
    );
  }
}

/** Parses a manifest file into Kubernetes objects, expanding `*List` kinds. */
export function parseManifests(text: string, file: string, limits: RenderLimits): KubeObject[] {
  const out: KubeObject[] = [];
  const visit = (value: unknown): void => {
    if (!isJsonObject(value)) {
      throw new RenderError(`${file}: a document is not a YAML mapping`, {
        file,
        hint: 'Each document must be a Kubernetes object.',
      });
    }
    const kind = value.kind;
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items)) {
      for (const item of value.items) visit(item);
      return;
    }
    if (typeof kind !== 'string' || kind === '') {
      throw new RenderError(`${file}: an object has no kind`, {
        file,
        hint: 'Every Kubernetes object needs apiVersion and kind.',
      });
    }
    if (!isJsonObject(value.metadata)) value.metadata = {};
    const name = value.metadata.name;
    if (typeof name !== 'string' || name === '') {
      throw new RenderError(`${file}: a ${kind} has no metadata.name`, {
        file,
        hint: 'kustomize needs a name on every object (generateName is not supported).',
      });
    }
    out.push(value as unknown as KubeObject);
    if (out.length > limits.maxObjects) {
      throw new RenderError(`${file}: more than ${limits.maxObjects} objects`, { file });
    }
  };
  for (const value of parseYamlDocuments(text, file, limits)) visit(value);
  return out;
}
