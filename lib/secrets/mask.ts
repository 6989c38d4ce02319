/**
 * Masking, for every output of Plumbline (plan diffs, PR comments, check runs, logs): secret
 * values never leave memory, not even as a prefix or an unsalted hash. Secret `data` and
 * `stringData` are always secret; in an object marked sensitive (it carries data from a SOPS
 * file) every leaf outside `apiVersion`, `kind` and `metadata` is. A masked diff still shows
 * *that* a value changed.
 */
import type { KubeObject } from '../core/object.ts';

/** What a secret value is shown as. */
export const MASKED = '***';
/** What a secret value that changed is shown as on the `after` side of a diff. */
export const MASKED_CHANGED = '*** (changed)';

/** Whether the object is to be masked beyond Secret data (it came from a decrypted file). */
export interface MaskOptions {
  sensitive?: boolean;
}

// `kubectl apply` copies the whole object, secrets included, into this annotation.
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The top-level fields whose leaves are secret. */
function secretFields(object: Plain, options: MaskOptions): string[] {
  if (options.sensitive) {
    return Object.keys(object).filter(
      (k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata',
    );
  }
  return object.kind === 'Secret' ? ['data', 'stringData'] : [];
}

function isMasked(object: Plain, options: MaskOptions): boolean {
  return options.sensitive === true || object.kind === 'Secret';
}

/** Every leaf replaced by `mask` (null stays null: it holds nothing); keys and shapes kept. */
function maskLeaves(value: unknown, mask: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskLeaves(v, mask));
  if (isPlain(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v, mask)]));
  return value === null || value === undefined ? value : mask;
}

function maskMetadata(metadata: unknown): unknown {
  if (
    !isPlain(metadata) ||
    !isPlain(metadata.annotations) ||
    !(LAST_APPLIED in metadata.annotations)
  ) {
    return metadata;
  }
  return { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: MASKED } };
}

/** A copy of `object` safe to display: its secret leaves replaced by `***`. */
export function maskObject<T extends KubeObject | Plain>(object: T, options: MaskOptions = {}): T {
  if (!isMasked(object, options)) return object;
  const out: Plain = { ...object };
  for (const field of secretFields(object, options)) out[field] = maskLeaves(object[field], MASKED);
  if ('metadata' in out) out.metadata = maskMetadata(out.metadata);
  return out as T;
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

/**
 * Masks a before/after pair (either may be absent) for a diff: unchanged secret leaves are
 * `***` on both sides, changed ones `***` before and `*** (changed)` after.
 */
export function maskPair<T extends KubeObject | Plain>(
  before: T | undefined,
  after: T | undefined,
  options: MaskOptions = {},
): { before: T | undefined; after: T | undefined } {
  const masked = [before, after].some((o) => o !== undefined && isMasked(o, options));
  if (!masked) return { before, after };
  const fields = new Set([
    ...(before ? secretFields(before, options) : []),
    ...(after ? secretFields(after, options) : []),
  ]);
  const b: Plain | undefined = before ? { ...before } : undefined;
  const a: Plain | undefined = after ? { ...after } : undefined;
  for (const field of fields) {
    const pair = maskBoth(before?.[field], after?.[field]);
    if (b && field in b) b[field] = pair.before;
    if (a && field in a) a[field] = pair.after;
  }
  if (b && 'metadata' in b) b.metadata = maskMetadata(b.metadata);
  if (a && 'metadata' in a) a.metadata = maskMetadata(a.metadata);
  return { before: b as T | undefined, after: a as T | undefined };
}

function decodeBase64(text: string): string | undefined {
  try {
    const binary = atob(text);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The secret strings of an object, to feed `redact`: its secret leaves, and for Secret `data`
 * also the decoded values.
 */
export function secretValues(object: KubeObject | Plain, options: MaskOptions = {}): string[] {
  if (!isMasked(object, options)) return [];
  const out = new Set<string>();
  const collect = (value: unknown, base64: boolean) => {
    if (Array.isArray(value)) for (const v of value) collect(v, base64);
    else if (isPlain(value)) for (const v of Object.values(value)) collect(v, base64);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = String(value);
      out.add(text);
      const decoded = base64 ? decodeBase64(text) : undefined;
      if (decoded !== undefined) out.add(decoded);
    }
  };
  for (const field of secretFields(object, options))
    collect(object[field], object.kind === 'Secret' && field === 'data');
  return [...out];
}

function encodeBase64(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

// Shorter strings (`1`, `on`) are everywhere in ordinary text; redacting them would make
// logs unreadable and they are not worth a secret's name.
const MIN_REDACTED_LENGTH = 4;

/**
 * Replaces every occurrence of a secret (and of its base64 form) in `text` with `***`: the
 * last line of defence for log lines and error messages.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_REDACTED_LENGTH) continue;
    needles.add(secret);
    needles.add(encodeBase64(secret));
    // JSON and YAML output escape quotes, backslashes and newlines.
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  let out = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    if (needle.length >= MIN_REDACTED_LENGTH) out = out.split(needle).join(MASKED);
  }
  return out;
}

let tokenKey: Promise<CryptoKey> | undefined;

/**
 * A comparison token for a secret value: HMAC-SHA-256 under a random key that lives only in
 * this process, so equal values compare equal here and the token says nothing elsewhere.
 */
export async function secretToken(value: string): Promise<string> {
  tokenKey ??= crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', await tokenKey, new TextEncoder().encode(value));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
