/**
 * Parsing manifests: multi-document YAML (or JSON) into plain values, `*List` kinds expanded.
 * The `yaml` library tokenizes and composes each document; the values are built here, in one
 * pass over the composed nodes, so that:
 * - every mapping is a data map (`data-map.ts`): keys such as `__proto__` are plain data;
 * - duplicate keys in manifests are refused in linear time, with go-yaml's message (the
 *   library's own check compares every key with every other: 16 s for 40,000 keys);
 * - aliases are expanded into copies (never shared objects that a transformer would change
 *   twice), bounded in count and in size, and merge keys (`<<`) merge as kustomize merges them;
 * - nothing of a document's syntax tree outlives the document.
 */
import {
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  Parser,
  type Scalar,
  type ScalarTag,
  type Tags,
} from 'yaml';
import { resolvePlain } from '../core/go-yaml-resolve.ts';
import type { KubeObject } from '../core/object.ts';
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import { binaryScalarValue, InvalidBinaryScalar } from './binary-scalar.ts';
import type { RenderBudget } from './budget.ts';
import { type DataMap, newDataMap } from './data-map.ts';
import type { RenderLimits } from './limits.ts';

/**
 * A pattern over `digits` that allows `_` anywhere after the sign: go-yaml v3 removes every
 * underscore from a plain scalar that starts with a digit or a sign before reading a number.
 */
function underscored(sign: boolean, ...parts: string[]): RegExp {
  return new RegExp(`^${sign ? '(?:[-+]_*)?' : ''}${parts.join('_*')}_*$`);
}

/**
 * Integers as go-yaml v3 reads plain scalars (Go's `strconv.ParseInt` with base 0, after
 * removing underscores): `0x`/`0X` hexadecimal, `0o`/`0O` and leading-zero octal (`0644` is
 * 420, where YAML 1.2 reads 644), `0b` binary, decimal.
 */
const goInt: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: new RegExp(
    [
      underscored(true, '0', '[xX]', '(?:[0-9a-fA-F]_*)+'),
      underscored(true, '0', '[oO]', '(?:[0-7]_*)+'),
      underscored(true, '0', '[bB]', '(?:[01]_*)+'),
      underscored(true, '0', '(?:[0-7]_*)*'),
      underscored(true, '[1-9]', '(?:[0-9]_*)*'),
    ]
      .map((re) => `(?:${re.source})`)
      .join('|'),
  ),
  resolve: (text) => {
    const plain = text.replace(/_/g, '');
    const negative = plain.startsWith('-');
    const body = plain.replace(/^[-+]/, '');
    const prefix = body.slice(0, 2).toLowerCase();
    const value =
      prefix === '0x'
        ? Number.parseInt(body.slice(2), 16)
        : prefix === '0o'
          ? Number.parseInt(body.slice(2), 8)
          : prefix === '0b'
            ? Number.parseInt(body.slice(2), 2)
            : body.startsWith('0')
              ? Number.parseInt(body || '0', 8)
              : Number.parseInt(body, 10);
    return negative && value !== 0 ? -value : value;
  },
};

/** Decimal floats with underscores, which go-yaml v3 reads as numbers and YAML 1.2 as text. */
const goFloat: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /^[-+0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE]_*[-+]?[0-9_]+)?$/,
  resolve: (text) => {
    const plain = text.replace(/_/g, '');
    return /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)
      ? Number.parseFloat(plain)
      : text;
  },
};

const binaryTag = 'tag:yaml.org,2002:binary';
const mergeTag = 'tag:yaml.org,2002:merge';

/**
 * Deepest nesting of mappings and sequences a document may have. Far beyond any real manifest,
 * and low enough that no recursive step of a render (patches, output, hashing) can exhaust the
 * stack on what the parser accepted.
 */
export const maxNestingDepth = 512;

/** A failure inside one document, positioned by its offset in the text. */
class DocumentProblem extends Error {
  readonly offset: number;
  /** Another offset the message names by its line (where a duplicate key was first defined). */
  readonly earlier: number | undefined;
  constructor(message: string, offset: number, earlier?: number) {
    super(message);
    this.offset = offset;
    this.earlier = earlier;
  }
}

/** The 1-based line of `offset` in `text` (counted only when an error needs it). */
function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

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
  budget?: RenderBudget,
): unknown[] {
  // Parsing costs the text's length every time: a base built through many paths is paid for
  // each time it is parsed.
  budget?.spend(text.length, file);
  const separator = /[\u0085\u2028\u2029]/.exec(text);
  if (separator) {
    // go-yaml (kustomize) reads these as line breaks, YAML 1.2 as text: the two would read
    // different documents (a comment could end early), so neither reading is taken.
    const line = lineAt(text, separator.index);
    const code = (separator[0].codePointAt(0) as number)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0');
    throw new RenderError(
      `${file}:${line}: holds U+${code} unescaped, a line break for kustomize's YAML reader but text for YAML 1.2`,
      {
        file,
        line,
        hint: `Write it escaped in a double-quoted string (\\u${code}), or remove it.`,
      },
    );
  }
  const parser = new Parser();
  const composer = new Composer({
    version,
    // Merge keys and duplicate keys are handled while building values, in linear time.
    merge: false,
    uniqueKeys: false,
    ...(version === '1.2' ? { customTags: (tags: Tags) => [goInt, goFloat, ...tags] } : {}),
  });
  const values: unknown[] = [];
  const strings = new StringPool();
  try {
    // Documents are composed one at a time, so each syntax tree is freed before the next: a
    // 5,000-object file never holds 5,000 trees at once.
    for (const doc of composer.compose(parser.parse(text))) {
      const value = documentValue(doc, text, file, limits, version, strings);
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
  text: string,
  file: string,
  limits: RenderLimits,
  version: '1.1' | '1.2',
  strings: StringPool,
): unknown {
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? lineAt(text, problem.pos[0]);
    throw new RenderError(`${file}:${line}: invalid YAML: ${problem.message.split('\n')[0]}`, {
      file,
      line,
      cause: problem,
      hint: 'Fix the YAML syntax.',
    });
  }
  if (doc.contents === null) return undefined;
  const [start, , end] = doc.range;
  try {
    const value = new ValueBuilder(limits, version, end - start, strings).value(doc.contents, 0);
    return value ?? undefined;
  } catch (error) {
    if (!(error instanceof DocumentProblem)) throw error;
    const line = lineAt(text, error.offset);
    const earlier = error.earlier === undefined ? '' : ` at line ${lineAt(text, error.earlier)}`;
    throw new RenderError(`${file}:${line}: ${error.message}${earlier}`, {
      file,
      line,
      cause: error,
      hint: error.message.includes('alias')
        ? 'Avoid deep or repeated YAML aliases.'
        : 'Fix the YAML document.',
    });
  }
}

/**
 * The strings of one file's values, each kept once and detached from the file's text. The
 * parser hands out substrings that keep the whole text (or a copy of it) alive, and a manifest
 * repeats the same few values (`apps/v1`, `app`, `100m`) thousands of times: pooled and
 * detached, the values of a file take about a third of the memory.
 */
class StringPool {
  readonly #pool = new Map<string, string>();

  /** The pooled copy of `value`. */
  get(value: string): string {
    let pooled = this.#pool.get(value);
    if (pooled === undefined) {
      // V8 keeps a substring as a view of its parent; concatenating and slicing makes a copy of
      // its own. Short strings are copied already.
      pooled = value.length < 13 ? value : ` ${value}`.slice(1);
      this.#pool.set(pooled, pooled);
    }
    return pooled;
  }
}

/** Builds the values of one document's nodes. */
class ValueBuilder {
  readonly #limits: RenderLimits;
  readonly #version: '1.1' | '1.2';
  /** Anchors as met in document order (a later anchor of the same name replaces an earlier). */
  readonly #anchors = new Map<string, Node>();
  /** Each alias node's target, fixed when the alias is first met in document order. */
  readonly #targets = new Map<Node, Node>();
  /** Nodes that alias expansion may still build: the document's own size again, plus slack. */
  #expansionBudget: number;
  #aliases = 0;
  #expanding = 0;
  /** Where the outermost alias being expanded is written (errors inside an expansion point there). */
  #expansionOffset = 0;

  readonly #strings: StringPool;

  constructor(
    limits: RenderLimits,
    version: '1.1' | '1.2',
    documentLength: number,
    strings: StringPool,
  ) {
    this.#limits = limits;
    this.#version = version;
    this.#expansionBudget = documentLength + 10_000;
    this.#strings = strings;
  }

  value(node: unknown, depth: number): unknown {
    if (node === null || node === undefined) return null;
    if (depth > maxNestingDepth) {
      throw new DocumentProblem(`YAML nests deeper than ${maxNestingDepth} levels`, offsetOf(node));
    }
    if (this.#expanding > 0 && --this.#expansionBudget < 0) {
      throw new DocumentProblem(
        'YAML aliases expand to more than the document holds (a resource exhaustion attack?)',
        this.#expansionOffset,
      );
    }
    let value: unknown;
    if (isAlias(node)) value = this.#alias(node as Node, depth);
    else if (isScalar(node)) value = this.#scalar(node);
    else if (isMap(node)) value = this.#map(node.items, depth);
    else if (isSeq(node)) {
      value = node.items.map((item) =>
        isPair(item) ? this.#map([item], depth + 1) : this.value(item, depth + 1),
      );
    } else throw new DocumentProblem('unsupported YAML node', offsetOf(node));
    const anchor = (node as { anchor?: string }).anchor;
    // Registered once the node is complete: an alias inside its own anchor finds nothing.
    if (anchor && this.#expanding === 0) this.#anchors.set(anchor, node as Node);
    return value;
  }

  #alias(node: Node, depth: number): unknown {
    let target = this.#targets.get(node);
    if (!target) {
      target = this.#anchors.get((node as unknown as { source: string }).source);
      if (!target) {
        throw new DocumentProblem(
          `unknown anchor '${(node as unknown as { source: string }).source}' referenced`,
          offsetOf(node),
        );
      }
      this.#targets.set(node, target);
    }
    if (++this.#aliases > this.#limits.maxAliasCount) {
      throw new DocumentProblem(
        `YAML aliases expand beyond the render limit (${this.#limits.maxAliasCount})`,
        this.#expanding > 0 ? this.#expansionOffset : offsetOf(node),
      );
    }
    if (this.#expanding === 0) this.#expansionOffset = offsetOf(node);
    this.#expanding++;
    try {
      return this.value(target, depth);
    } finally {
      this.#expanding--;
    }
  }

  #scalar(node: Scalar): unknown {
    if (node.tag === binaryTag) {
      try {
        return this.#strings.get(binaryScalarValue(String(node.source ?? '')));
      } catch (error) {
        if (error instanceof InvalidBinaryScalar) {
          throw new DocumentProblem(error.message, offsetOf(node));
        }
        throw error;
      }
    }
    const value = node.value;
    if (typeof value === 'string') {
      if (this.#version === '1.2' && node.type === 'PLAIN' && node.tag === undefined) {
        // kustomize decodes a plain timestamp into a Go time and writes it back as RFC 3339.
        const resolved = resolvePlain(value);
        if (resolved.kind === 'time') return this.#strings.get(resolved.text);
      }
      return this.#strings.get(value);
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // kustomize converts objects to JSON, which has no infinity or NaN.
      throw new DocumentProblem(
        `${node.source} is not a number JSON can carry (kustomize refuses it too); quote it as a string`,
        offsetOf(node),
      );
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value) && isIntegerText(node.source)) {
      // go-yaml keeps int64 and uint64 exactly; a JavaScript number would round this one.
      throw new DocumentProblem(
        `the integer ${node.source} is beyond ±2^53 and would not stay exact; quote it as a string`,
        offsetOf(node),
      );
    }
    if (value instanceof Date) return this.#strings.get(String(node.source));
    if (typeof value === 'symbol') return value.description ?? '';
    if (typeof value === 'object' && value !== null) {
      throw new DocumentProblem(`unsupported YAML scalar tag '${node.tag}'`, offsetOf(node));
    }
    return value;
  }

  /** A mapping: own keys first (duplicates refused), then merge keys' fields not yet present. */
  #map(items: unknown[], depth: number): DataMap {
    const out = newDataMap();
    let merge: { value: unknown; key: unknown } | undefined;
    for (const item of items) {
      if (!isPair(item)) throw new DocumentProblem('unsupported YAML mapping entry', 0);
      const keyNode = item.key;
      if (this.#isMergeKey(keyNode)) {
        if (merge) throw new DocumentProblem('duplicate merge key', offsetOf(keyNode));
        merge = { value: item.value, key: keyNode };
        continue;
      }
      const key = this.#key(keyNode, depth);
      if (key === '<<' && this.#version === '1.2') {
        // kustomize writes objects out and reads them back: a `<<` key, even quoted, comes
        // back as a merge key and its entry is dropped. Refused rather than dropped.
        throw new DocumentProblem(
          'a key named "<<" is read back as a YAML merge key by kustomize, which drops it; rename the key',
          offsetOf(keyNode),
        );
      }
      // go-yaml refuses a repeated key in a manifest; sigs.k8s.io/yaml, which reads
      // kustomization files, keeps the last one.
      if (this.#version === '1.2' && Object.hasOwn(out, key)) {
        const first = items.find((other) => isPair(other) && this.#sameKey(other.key, key, depth));
        throw new DocumentProblem(
          `invalid YAML: mapping key ${JSON.stringify(key)} already defined`,
          offsetOf(keyNode),
          offsetOf((first as { key?: unknown } | undefined)?.key),
        );
      }
      out[key] = this.value(item.value, depth + 1);
    }
    if (merge) {
      for (const source of this.#mergeSources(merge.value, depth)) {
        for (const key of Object.keys(source)) if (!Object.hasOwn(out, key)) out[key] = source[key];
      }
    }
    return out;
  }

  #sameKey(node: unknown, key: string, depth: number): boolean {
    return !this.#isMergeKey(node) && this.#key(node, depth) === key;
  }

  /** Plain `<<` (untagged or tagged `!!merge`) is a merge key, in YAML 1.1 and 1.2 alike. */
  #isMergeKey(key: unknown): boolean {
    if (!isScalar(key) || key.type !== 'PLAIN' || key.source !== '<<') return false;
    return key.tag === undefined || key.tag === mergeTag;
  }

  /** The mappings a merge key names, earliest first (earlier ones win, as in YAML and kyaml). */
  #mergeSources(node: unknown, depth: number): DataMap[] {
    const one = (item: unknown): DataMap => {
      const value = this.value(item, depth + 1);
      if (!isJsonObject(value)) {
        throw new DocumentProblem(
          'invalid map merge: a merge key needs a mapping or a sequence of mappings',
          offsetOf(item),
        );
      }
      return value;
    };
    if (isSeq(node)) {
      return node.items.map((item) => {
        if (isSeq(item)) {
          throw new DocumentProblem(
            'invalid map merge: received a nested sequence',
            offsetOf(item),
          );
        }
        return one(item);
      });
    }
    return [one(node)];
  }

  /** The string form of a mapping key. */
  #key(node: unknown, depth: number): string {
    if (node === null || node === undefined) return '';
    if (isScalar(node)) {
      // Manifests: kyaml keeps a key's text as written (`0x10`, `1.0` and `~` stay themselves).
      if (this.#version === '1.2') return String(node.source ?? node.value ?? '');
      // Kustomization files: sigs.k8s.io/yaml turns keys into strings after resolving them.
      const value = node.value;
      return value === null ? '' : typeof value === 'symbol' ? '<<' : String(value);
    }
    if (isAlias(node)) return this.#key(this.#aliasTarget(node as Node), depth);
    throw new DocumentProblem(
      'a mapping key is a collection; Kubernetes objects need scalar keys',
      offsetOf(node),
    );
  }

  #aliasTarget(node: Node): Node {
    const target =
      this.#targets.get(node) ?? this.#anchors.get((node as unknown as { source: string }).source);
    if (!target) {
      throw new DocumentProblem(
        `unknown anchor '${(node as unknown as { source: string }).source}' referenced`,
        offsetOf(node),
      );
    }
    return target;
  }
}

/** True for the text of a YAML integer (decimal, octal, hexadecimal or binary). */
function isIntegerText(text: unknown): boolean {
  return (
    typeof text === 'string' && /^[-+]?[0-9_]*(?:0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*)$/.test(text)
  );
}

function offsetOf(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : 0;
}

/** Parses a manifest file into Kubernetes objects, expanding `*List` kinds. */
export function parseManifests(
  text: string,
  file: string,
  limits: RenderLimits,
  budget?: RenderBudget,
): KubeObject[] {
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
    if (!isJsonObject(value.metadata)) value.metadata = newDataMap() as never;
    const name = (value.metadata as DataMap).name;
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
  for (const value of parseYamlDocuments(text, file, limits, '1.2', budget)) visit(value);
  return out;
}
