import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs } from '../../../lib/core/backoff.ts';
import { GitHubError, KubeError, LeaseError } from '../../../lib/errors.ts';
import { backoff } from '../../../lib/jobs/job-queue.ts';
import { isTransient, retryAfterOf } from '../../../lib/jobs/transient.ts';

describe('the one backoff formula', () => {
  it('doubles from the base up to the cap, jittered between half and all of it', () => {
    const policy = { baseMs: 100, capMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    // The job queue's policy is the same formula.
    expect(backoff(100, 1_000, () => 0.5)(3)).toBe(backoffDelay(3, policy, () => 0.5));
  });

  it('reads Retry-After as seconds or as an HTTP date, and nothing else', () => {
    const now = () => Date.parse('2026-12-01T00:00:00Z');
    expect(retryAfterMs('2')).toBe(2_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('transient failures', () => {
  it('are the ones a later run can pass: unavailable servers, rate limits, held or lost leases', () => {
    expect(isTransient(new KubeError('x', 503))).toBe(true);
    expect(isTransient(new KubeError('x', 500, 'InternalError', { transient: false }))).toBe(false);
    expect(isTransient(new KubeError('x', 403, 'Forbidden'))).toBe(false);
    expect(
      isTransient(new GitHubError('x', 403, { rateLimited: true, retryAfterMs: 60_000 })),
    ).toBe(true);
    expect(isTransient(new GitHubError('x', 403))).toBe(false);
    expect(isTransient(new LeaseError('x', 'held'))).toBe(true);
    expect(isTransient(new LeaseError('x', 'lost'))).toBe(true);
    const refused = new KubeError('forbidden', 403, 'Forbidden');
    expect(isTransient(new LeaseError('x', 'failed', { cause: refused }))).toBe(false);
    expect(isTransient(new LeaseError('x', 'failed', { cause: new KubeError('x', 0) }))).toBe(true);
  });

  it('carry the retry-after GitHub asked for, through causes', () => {
    const limited = new GitHubError('x', 403, { rateLimited: true, retryAfterMs: 7_000 });
    expect(retryAfterOf(new Error('wrapped', { cause: limited }))).toBe(7_000);
    expect(retryAfterOf(new KubeError('x', 503))).toBeUndefined();
  });
});
