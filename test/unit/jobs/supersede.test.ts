/**
 * The supersede rule both runtimes share: which finished run covers which older job, and what a
 * waiting job becomes when a newer one replaces it. Each predicate is checked both ways, so
 * making it always true (or always false) fails here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job, PlanJob, ReconcileJob, SweepJob } from '../../../lib/jobs/job.ts';
import {
  CLOCK_SKEW_MARGIN_MS,
  coveredUntilAfter,
  coversOlderJobs,
  isCoveredByRun,
  mergeJobs,
  sinceHint,
} from '../../../lib/jobs/supersede.ts';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

const reconcile = (extra: Partial<ReconcileJob> = {}): ReconcileJob => ({
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'd',
  ...extra,
});
const sweep: SweepJob = {
  kind: 'sweep',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 's',
};
const plan: PlanJob = { kind: 'plan', repo: 'acme/deploy', number: 7, deliveryId: 'p' };

describe('sinceHint', () => {
  it('is the since commit only when it can narrow the look', () => {
    expect(sinceHint(reconcile({ since: SHA_A }))).toBe(SHA_A);
    expect(sinceHint(reconcile())).toBeUndefined();
    expect(sinceHint(reconcile({ since: ZERO }))).toBeUndefined();
    expect(sinceHint(reconcile({ since: SHA_A, forced: true }))).toBeUndefined();
  });
});

describe('coversOlderJobs', () => {
  it('a reconcile that looks only at changes since a push covers nothing older', () => {
    expect(coversOlderJobs(reconcile({ since: SHA_A }))).toBe(false);
  });

  it('runs that re-read the whole app cover every older job', () => {
    expect(coversOlderJobs(reconcile())).toBe(true);
    expect(coversOlderJobs(reconcile({ since: ZERO }))).toBe(true);
    expect(coversOlderJobs(reconcile({ since: SHA_A, forced: true }))).toBe(true);
    expect(coversOlderJobs(sweep)).toBe(true);
    expect(coversOlderJobs(plan)).toBe(true);
  });
});

describe('isCoveredByRun', () => {
  it('supersedes a job enqueued before the covering run started, beyond the clock margin', () => {
    const startedAt = 1_000_000;
    expect(isCoveredByRun(startedAt - CLOCK_SKEW_MARGIN_MS - 1, startedAt)).toBe(true);
    expect(isCoveredByRun(startedAt - CLOCK_SKEW_MARGIN_MS, startedAt)).toBe(false);
    expect(isCoveredByRun(startedAt + 1, startedAt)).toBe(false);
  });

  it('supersedes nothing before any covering run finished', () => {
    expect(isCoveredByRun(0, 0)).toBe(false);
    expect(isCoveredByRun(Date.now(), 0)).toBe(false);
  });
});

describe('coveredUntilAfter', () => {
  it('moves forward only after a finished run that covers older jobs', () => {
    expect(coveredUntilAfter(10, reconcile(), 50, true)).toBe(50);
    expect(coveredUntilAfter(10, sweep, 50, true)).toBe(50);
    expect(coveredUntilAfter(10, reconcile(), 50, false)).toBe(10);
    expect(coveredUntilAfter(10, reconcile({ since: SHA_A }), 50, true)).toBe(10);
  });

  it('never moves backward', () => {
    expect(coveredUntilAfter(90, reconcile(), 50, true)).toBe(90);
  });
});

describe('mergeJobs follows the same rule', () => {
  const since = fc.constantFrom(undefined, SHA_A, SHA_B, ZERO);
  const reconcileJob = fc
    .record({ since, forced: fc.boolean() })
    .map(({ since, forced }) =>
      reconcile({ ...(since ? { since } : {}), ...(forced ? { forced } : {}) }),
    );
  const appJob = fc.oneof(reconcileJob, fc.constant<Job>(sweep));

  it('the merged job covers older jobs exactly when either of the two did', () => {
    fc.assert(
      fc.property(appJob, appJob, (waiting, newer) => {
        const merged = mergeJobs(waiting, newer);
        expect(coversOlderJobs(merged)).toBe(coversOlderJobs(waiting) || coversOlderJobs(newer));
      }),
    );
  });

  it('keeps the waiting job’s hint when both narrow their look', () => {
    const merged = mergeJobs(reconcile({ since: SHA_A }), reconcile({ since: SHA_B }));
    expect(merged).toEqual(reconcile({ since: SHA_A }));
  });

  it('a plan job is never merged into an app job', () => {
    expect(mergeJobs(reconcile({ since: SHA_A }), plan)).toBe(plan);
  });
});
