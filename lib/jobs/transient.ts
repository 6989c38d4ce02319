/**
 * Which failures are worth retrying: the other side was briefly unavailable (5xx, 429, a
 * network failure), not wrong. A retry of anything else would fail the same way.
 */
import { GitHubError, KubeError } from '../errors.ts';

/** True when `error` (or its cause) is a transient failure of GitHub or a cluster. */
export function isTransient(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof GitHubError || current instanceof KubeError) {
      return current.status === 0 || current.status === 429 || current.status >= 500;
    }
    if (current instanceof TypeError && /fetch|network|socket/i.test(current.message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}
