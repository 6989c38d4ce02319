/**
 * Which failures are worth retrying: the other side was briefly unavailable (5xx, 429, a
 * network failure), not wrong. A retry of anything else would fail the same way.
 */
import { GitHubError, KubeError, LeaseError } from '../errors.ts';

/** True when `error` (or its cause) is a transient failure of GitHub or a cluster. */
export function isTransient(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof KubeError) return current.transient;
    // Another run holds the app's lease, or this one lost it: a later run takes it. A lease
    // that could not be read or written is as transient as the answer that caused it.
    if (current instanceof LeaseError && current.reason !== 'failed') return true;
    if (current instanceof GitHubError) return current.transient;
    if (current instanceof TypeError && /fetch|network|socket/i.test(current.message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** How long the failing side asked to wait before a retry (GitHub's `retry-after`), if it did. */
export function retryAfterOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof GitHubError && current.retryAfterMs !== undefined) {
      return current.retryAfterMs;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
