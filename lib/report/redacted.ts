/**
 * The reporting boundary: outcome data becomes `Redacted` here, once, by the job's redactor,
 * and every view (text, Markdown, JSON, HTML, GitHub statuses) accepts only `Redacted` data.
 * The compiler so checks that nothing reaches a surface without passing the boundary; the
 * views then only format, escape and cut text that no longer holds a secret (cutting a value
 * first could leave a prefix no redactor recognizes).
 */
import type { Redactor } from '../secrets/secret-ledger.ts';

declare const redactedBrand: unique symbol;

/** Data that went through the job's redactor: safe for any surface. */
export type Redacted<T> = T & { readonly [redactedBrand]: true };

/** `data` with every decrypted value (and its encoded forms) replaced by `***`. */
export function redacted<T>(data: T, redactor: Redactor): Redacted<T> {
  return redactor.data(data) as Redacted<T>;
}
