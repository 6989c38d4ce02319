/**
 * The one retry delay formula Plumbline uses, for the job queue, the cluster client and the
 * Workers queue alike: exponential (`base * 2^(attempt-1)`, capped), with equal jitter (a
 * random delay between half and all of it), so retries of many jobs do not arrive together.
 * A server's `Retry-After` overrides it where one is given.
 */

/** Where a backoff starts and where it stops growing. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** The delay before retry `attempt` (1-based: the attempt that just failed). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() / 2));
}

/**
 * Milliseconds a `Retry-After` header asks for (delta seconds or an HTTP date), or
 * `undefined` when absent or unreadable.
 */
export function retryAfterMs(
  header: string | null | undefined,
  now: () => number = Date.now,
): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}
