/**
 * Masks secret values in a before/after pair so a diff still shows *that* a value changed,
 * never the value (as kubectl diff does). A stand-in until `lib/secrets/mask.ts` lands: it
 * masks Secret `data`/`stringData` and, for objects marked sensitive (decrypted from SOPS),
 * every value outside `apiVersion`, `kind` and `metadata`.
 */
import { isJsonObject, type KubeObject } from '../core/object.ts';

const masked = '***';

function maskedValues(before: unknown, after: unknown): { before: unknown; after: unknown } {
  if (isJsonObject(before) || isJsonObject(after)) {
    const b = isJsonObject(before) ? before : undefined;
    const a = isJsonObject(after) ? after : undefined;
    const outB: Record<string, unknown> = {};
    const outA: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])) {
      const pair = maskedValues(b?.[key], a?.[key]);
      if (b && key in b) outB[key] = pair.before;
      if (a && key in a) outA[key] = pair.after;
    }
    return {
      before: b ? outB : before === undefined ? undefined : masked,
      after: a ? outA : after === undefined ? undefined : masked,
    };
  }
  if (before === undefined || after === undefined) {
    return {
      before: before === undefined ? undefined : masked,
      after: after === undefined ? undefined : masked,
    };
  }
  const same = JSON.stringify(before) === JSON.stringify(after);
  return same
    ? { before: masked, after: masked }
    : { before: `${masked} (before)`, after: `${masked} (after)` };
}

/** Masks the secret parts of a before/after pair (either side may be absent). */
export function maskPair(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  options: { sensitive: boolean },
): { before: KubeObject | undefined; after: KubeObject | undefined } {
  const kind = (after ?? before)?.kind;
  if (kind !== 'Secret' && !options.sensitive) return { before, after };
  const secretKeys =
    kind === 'Secret' && !options.sensitive
      ? ['data', 'stringData', 'binaryData']
      : [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter(
          (key) => key !== 'apiVersion' && key !== 'kind' && key !== 'metadata',
        );
  const b: Record<string, unknown> | undefined = before ? { ...before } : undefined;
  const a: Record<string, unknown> | undefined = after ? { ...after } : undefined;
  for (const key of secretKeys) {
    const pair = maskedValues(before?.[key], after?.[key]);
    if (b && key in b) b[key] = pair.before;
    if (a && key in a) a[key] = pair.after;
  }
  return { before: b as KubeObject | undefined, after: a as KubeObject | undefined };
}
