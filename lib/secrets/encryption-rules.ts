/**
 * Which leaves of a SOPS file are encrypted. Suffix and regex rules test every key on the
 * leaf's path (list indices are not part of it); regexes are RE2, unanchored.
 */
import type { EncryptionRules } from './sops-metadata.ts';

/** `true`/`false` from the path rules, or `'by-shape'` when comment rules decide. */
export type EncryptionDecision = boolean | 'by-shape';

/** Compiles a RE2 pattern into a JavaScript one; throws on constructs JavaScript lacks. */
export function compileRe2(pattern: string): RegExp {
  // RE2's inline flags at the start, e.g. (?i), map onto JavaScript flags.
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  const flags = m?.[1] ? [...new Set(m[1].replace('U', ''))].join('') : '';
  return new RegExp(m ? pattern.slice(m[0].length) : pattern, `u${flags}`);
}

/** A function deciding, for a leaf's key path, whether sops encrypted it. */
export function encryptionDecider(
  rules: EncryptionRules,
): (path: readonly string[]) => EncryptionDecision {
  if (rules.unencryptedCommentRegex !== undefined || rules.encryptedCommentRegex !== undefined) {
    // Comment rules depend on where the YAML emitter attached each comment; the value itself
    // tells whether it was encrypted, and GCM with the path as AAD authenticates it.
    return () => 'by-shape';
  }
  if (rules.encryptedSuffix !== undefined) {
    const suffix = rules.encryptedSuffix;
    return (path) => path.some((k) => k.endsWith(suffix));
  }
  if (rules.encryptedRegex !== undefined) {
    const re = compileRe2(rules.encryptedRegex);
    return (path) => path.some((k) => re.test(k));
  }
  if (rules.unencryptedRegex !== undefined) {
    const re = compileRe2(rules.unencryptedRegex);
    return (path) => !path.some((k) => re.test(k));
  }
  const suffix = rules.unencryptedSuffix ?? '_unencrypted';
  return (path) => !path.some((k) => k.endsWith(suffix));
}
