/**
 * Whether `plumbline render` printed what `kustomize build` printed. Every document is compared
 * byte for byte, except Secrets: `plumbline render` always prints their values as `***` (a
 * render must not leak them), so a Secret is compared as data with its values masked on
 * both sides.
 */
import { parse } from 'yaml';

/** How two outputs compare. */
export interface OutputComparison {
  identical: boolean;
  documents: number;
  /** Documents that differ (first few, for the report). */
  differing: number[];
}

function documents(output: string): string[] {
  return output === '' ? [] : output.split(/^---\n/m);
}

function maskedSecret(text: string): string | undefined {
  const object = parse(text) as Record<string, unknown> | null;
  if (object?.kind !== 'Secret') return undefined;
  const mask = (value: unknown): unknown =>
    value !== null && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]))
      : value === null || value === undefined
        ? value
        : '***';
  const { data, stringData, ...rest } = object;
  return JSON.stringify({
    ...rest,
    ...(data ? { data: mask(data) } : {}),
    ...(stringData ? { stringData: mask(stringData) } : {}),
  });
}

/** Compares kustomize's output with Plumbline's. */
export function compareRenders(kustomize: string, plumbline: string): OutputComparison {
  const expected = documents(kustomize);
  const actual = documents(plumbline);
  const differing: number[] = [];
  const count = Math.max(expected.length, actual.length);
  for (let i = 0; i < count; i++) {
    const a = expected[i];
    const b = actual[i];
    if (a === b) continue;
    if (a !== undefined && b !== undefined) {
      const secret = maskedSecret(a);
      if (secret !== undefined && secret === maskedSecret(b)) continue;
    }
    differing.push(i);
  }
  return { identical: differing.length === 0, documents: expected.length, differing };
}
