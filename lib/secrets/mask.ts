/**
 * Masking by position, for every output of Plumbline (plan diffs, PR comments, check runs,
 * drift issues, `plumbline render`): secret values never leave memory, not even as a prefix
 * or an unsalted hash. A masked diff still shows *that* a value changed.
 *
 * - Secret `data` and `stringData` are always secret.
 * - In an object carrying data from a decrypted file (render says "sensitive") every leaf
 *   outside `apiVersion`, `kind` and `metadata` is.
 * - A label or annotation holding a decrypted value is (any length in a sensitive object;
 *   from `MIN_REDACTED_LENGTH` characters in any other).
 *
 * Sensitivity travels with the object: `resolveDesired` marks such objects with the
 * `plumbline.dev/sensitive` annotation, listing the positions, so live objects say what to mask
 * when the render that made them is gone (a pruned ConfigMap whose secret rotated since). The
 * job's secret ledger (`secret-ledger.ts`) then redacts the values themselves wherever else they
 * travelled.
 */
import type { KubeObject, ObjectRef } from '../core/object.ts';
import { REDACTED, type Redactor } from './secret-ledger.ts';

/** What a secret value is shown as. */
export const MASKED = REDACTED;
/** What a secret value that changed is shown as on the `after` side of a diff. */
export const MASKED_CHANGED = '*** (changed)';

/**
 * The annotation marking an object that carries decrypted values: a comma-separated list of
 * the masked positions, `body` (every field outside metadata), `labels/<key>` and
 * `annotations/<key>` (label and annotation keys cannot hold commas).
 */
export const SENSITIVE_ANNOTATION = 'plumbline.dev/sensitive';

/** How to mask an object beyond its kind and its mark. */
export interface MaskOptions {
  /** The object carries data from a decrypted file (render's `sensitive`). */
  sensitive?: boolean;
  /** The job's decrypted values: masked wherever they are, after the positions. */
  secrets?: Redactor;
}

// `kubectl apply` copies the whole object, secrets included, into this annotation.
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Plain = Record<string, unknown>;
type MetaField = 'labels' | 'annotations';
const metaFields: readonly MetaField[] = ['labels', 'annotations'];

/** The masked positions of an object: its body, and label and annotation keys. */
interface Positions {
  body: boolean;
  labels: Set<string>;
  annotations: Set<string>;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaMap(object: Plain | undefined, field: MetaField): Record<string, unknown> {
  const metadata = object?.metadata;
  if (!isPlain(metadata)) return {};
  const map = metadata[field];
  return isPlain(map) ? map : {};
}

/** The positions the object's own mark names. */
function markedPositions(object: Plain | undefined): Positions {
  const positions: Positions = { body: false, labels: new Set(), annotations: new Set() };
  const mark = metaMap(object, 'annotations')[SENSITIVE_ANNOTATION];
  if (typeof mark !== 'string') return positions;
  for (const item of mark.split(',')) {
    const entry = item.trim();
    if (entry === 'body') positions.body = true;
    const slash = entry.indexOf('/');
    const field = entry.slice(0, slash);
    if (slash > 0 && (field === 'labels' || field === 'annotations'))
      positions[field].add(entry.slice(slash + 1));
  }
  return positions;
}

/**
 * Every masked position of `object`: its mark, its render sensitivity, and the labels and
 * annotations holding a decrypted value (exactly, at any length, in a sensitive object).
 */
function positionsOf(object: Plain | undefined, options: MaskOptions): Positions {
  const positions = markedPositions(object);
  positions.body ||= options.sensitive === true;
  const secrets = options.secrets;
  if (!object || !secrets) return positions;
  for (const field of metaFields) {
    for (const [key, value] of Object.entries(metaMap(object, field))) {
      if (typeof value !== 'string' || key === SENSITIVE_ANNOTATION) continue;
      const derived = positions.body && secrets.isSecret(value);
      if (derived || secrets.text(value) !== value) positions[field].add(key);
    }
  }
  return positions;
}

/** The top-level fields whose leaves are secret. */
function secretFields(object: Plain, body: boolean): string[] {
  if (body) {
    return Object.keys(object).filter(
      (k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata',
    );
  }
  return object.kind === 'Secret' ? ['data', 'stringData'] : [];
}

/** Every leaf replaced by `mask` (null stays null: it holds nothing); keys and shapes kept. */
function maskLeaves(value: unknown, mask: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskLeaves(v, mask));
  if (isPlain(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v, mask)]));
  return value === null || value === undefined ? value : mask;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
  }
  return false;
}

/** Masks two versions of one value position by position, marking leaves that changed. */
function maskBoth(before: unknown, after: unknown): { before: unknown; after: unknown } {
  if (isPlain(before) && isPlain(after)) {
    const b: Plain = {};
    const a: Plain = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const pair = maskBoth(before[key], after[key]);
      if (key in before) b[key] = pair.before;
      if (key in after) a[key] = pair.after;
    }
    return { before: b, after: a };
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    const pairs = before.map((v, i) => maskBoth(v, after[i]));
    return { before: pairs.map((p) => p.before), after: pairs.map((p) => p.after) };
  }
  if (
    before === undefined ||
    after === undefined ||
    isPlain(before) !== isPlain(after) ||
    Array.isArray(before) ||
    Array.isArray(after)
  ) {
    // Added, removed, or reshaped: each side masked on its own; the diff shows the change.
    const changed = !same(before, after);
    return {
      before: maskLeaves(before, MASKED),
      after: maskLeaves(after, changed && before !== undefined ? MASKED_CHANGED : MASKED),
    };
  }
  if (before === null || after === null) {
    return {
      before: maskLeaves(before, MASKED),
      after: same(before, after) ? after : maskLeaves(after, MASKED_CHANGED),
    };
  }
  return { before: MASKED, after: same(before, after) ? MASKED : MASKED_CHANGED };
}

/** `object`'s metadata with the given label and annotation values replaced (a copy). */
function withMetadata(
  object: Plain,
  replace: (field: MetaField, key: string, value: unknown) => unknown,
): Plain {
  if (!isPlain(object.metadata)) return object;
  const metadata: Plain = { ...object.metadata };
  for (const field of metaFields) {
    const map = metaMap(object, field);
    if (Object.keys(map).length === 0) continue;
    metadata[field] = Object.fromEntries(
      Object.entries(map).map(([key, value]) => [key, replace(field, key, value)]),
    );
  }
  return { ...object, metadata };
}

function masksAnything(object: Plain, positions: Positions): boolean {
  return (
    positions.body ||
    object.kind === 'Secret' ||
    positions.labels.size > 0 ||
    positions.annotations.size > 0 ||
    LAST_APPLIED in metaMap(object, 'annotations')
  );
}

/** A copy of `object` safe to display: its secret leaves replaced by `***`. */
export function maskObject<T extends KubeObject | Plain>(object: T, options: MaskOptions = {}): T {
  const positions = positionsOf(object, options);
  let out: Plain = object;
  if (masksAnything(object, positions)) {
    out = { ...object };
    for (const field of secretFields(object, positions.body))
      out[field] = maskLeaves(object[field], MASKED);
    out = withMetadata(out, (field, key, value) =>
      positions[field].has(key) || (field === 'annotations' && key === LAST_APPLIED)
        ? maskLeaves(value, MASKED)
        : value,
    );
  }
  return (options.secrets ? options.secrets.data(out) : out) as T;
}

/**
 * Masks a before/after pair (either may be absent) for a diff: unchanged secret leaves are
 * `***` on both sides, changed ones `***` before and `*** (changed)` after. A position masked
 * on either side (by kind, render sensitivity, mark, or a decrypted value) is masked on both:
 * the live side may hold a value this job never decrypted.
 */
export function maskPair<T extends KubeObject | Plain>(
  before: T | undefined,
  after: T | undefined,
  options: MaskOptions = {},
): { before: T | undefined; after: T | undefined } {
  const pb = positionsOf(before, options);
  const pa = positionsOf(after, options);
  const positions: Positions = {
    body: pb.body || pa.body,
    labels: new Set([...pb.labels, ...pa.labels]),
    annotations: new Set([...pb.annotations, ...pa.annotations]),
  };
  let b: Plain | undefined = before;
  let a: Plain | undefined = after;
  if ([before, after].some((o) => o !== undefined && masksAnything(o, positions))) {
    const fields = new Set([
      ...(before ? secretFields(before, positions.body) : []),
      ...(after ? secretFields(after, positions.body) : []),
    ]);
    b = before ? { ...before } : undefined;
    a = after ? { ...after } : undefined;
    for (const field of fields) {
      const pair = maskBoth(before?.[field], after?.[field]);
      if (b && field in b) b[field] = pair.before;
      if (a && field in a) a[field] = pair.after;
    }
    const masked = (field: MetaField, key: string) =>
      positions[field].has(key) || (field === 'annotations' && key === LAST_APPLIED);
    const beforeMeta = (field: MetaField, key: string) => metaMap(before, field)[key];
    const afterMeta = (field: MetaField, key: string) => metaMap(after, field)[key];
    if (b)
      b = withMetadata(b, (field, key, value) =>
        masked(field, key) ? maskBoth(value, afterMeta(field, key)).before : value,
      );
    if (a)
      a = withMetadata(a, (field, key, value) =>
        masked(field, key) ? maskBoth(beforeMeta(field, key), value).after : value,
      );
  }
  if (options.secrets) {
    b = options.secrets.data(b);
    a = options.secrets.data(a);
  }
  return { before: b as T | undefined, after: a as T | undefined };
}

/**
 * `object` with its sensitivity recorded in the `plumbline.dev/sensitive` annotation (added to
 * what the manifest says, never removed), or unchanged when nothing in it is secret.
 */
export function markSensitive(object: KubeObject, options: MaskOptions): KubeObject {
  const positions = positionsOf(object, options);
  const items = [
    ...(positions.body ? ['body'] : []),
    ...[...positions.labels].sort().map((key) => `labels/${key}`),
    ...[...positions.annotations].sort().map((key) => `annotations/${key}`),
  ];
  if (items.length === 0) return object;
  const value = items.join(',');
  if (object.metadata.annotations?.[SENSITIVE_ANNOTATION] === value) return object;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [SENSITIVE_ANNOTATION]: value },
    },
  };
}

// kustomize's name suffix: 10 hex digits with 0, 1, 3, a and e swapped for g, h, k, m and t.
const HASH_SUFFIX = /^(.+)-[2456789bcdfghkmt]{10}$/;

/**
 * True when `ref` looks like an earlier generation of a generated object in `sensitive` (same
 * group, kind, namespace and generator name, another hash suffix). Objects applied before
 * Plumbline marked them carry no mark; when a secret rotates, the old generation is pruned,
 * and its live values were decrypted by no job that is still running.
 */
export function generatedSibling(ref: ObjectRef, sensitive: Iterable<ObjectRef>): boolean {
  const base = HASH_SUFFIX.exec(ref.name)?.[1];
  if (base === undefined) return false;
  for (const other of sensitive) {
    if (
      other.group === ref.group &&
      other.kind === ref.kind &&
      other.namespace === ref.namespace &&
      HASH_SUFFIX.exec(other.name)?.[1] === base
    )
      return true;
  }
  return false;
}

/** True when the object's mark says its body holds decrypted values. */
export function isMarkedSensitive(object: KubeObject): boolean {
  return markedPositions(object).body;
}
