/**
 * The machine surface: outcomes as indented JSON, the values themselves (plans and change sets
 * are plain data), so `plumbline plan -o json` parses back to the `Plan` a script would read.
 */
import type { Redacted } from './redacted.ts';

/** Redacted outcome data as indented JSON with a trailing newline. */
export function reportJson<T>(data: Redacted<T>): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}
