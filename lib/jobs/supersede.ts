/**
 * Which queued job supersedes which: the one rule both runtimes follow. Jobs are
 * level-triggered, so a run that re-read everything has done what every older job of its key
 * asked for. A reconcile carrying a usable `since` hint only looks at the files changed since
 * that commit (and skips the app when they do not concern it), so it covers its own push and
 * nothing older. Node applies the rule when a newer job replaces a waiting one (`mergeJobs`);
 * Workers when a job arrives after a finished run (`isCoveredByRun`, in the `AppJobs` object).
 */
import { ZERO_SHA } from '../flows/affected-apps.ts';
import type { Job, ReconcileJob } from './job.ts';

/**
 * Queue timestamps and the consumer's clock may come from different machines: a job counts as
 * covered only when it was enqueued this long before the covering run started.
 */
export const CLOCK_SKEW_MARGIN_MS = 2_000;

/**
 * The commit a reconcile may narrow its look to, or `undefined` when it must compare the
 * whole rendered app: no hint, a branch just created (all zeros) or history rewritten.
 */
export function sinceHint(job: ReconcileJob): string | undefined {
  if (job.since === undefined || job.since === ZERO_SHA || job.forced === true) return undefined;
  return job.since;
}

/** Whether a finished run of `job` has seen everything older jobs of its key asked for. */
export function coversOlderJobs(job: Job): boolean {
  return job.kind !== 'reconcile' || sinceHint(job) === undefined;
}

/**
 * Whether a job enqueued at `enqueuedAt` is superseded by finished covering runs, the latest
 * of which started at `coveredUntil` (both epoch milliseconds, `0` when none ran).
 */
export function isCoveredByRun(
  enqueuedAt: number,
  coveredUntil: number,
  marginMs: number = CLOCK_SKEW_MARGIN_MS,
): boolean {
  return enqueuedAt + marginMs < coveredUntil;
}

/**
 * What `coveredUntil` becomes after a run of `job` that started at `startedAt`: only a run
 * that finished (not one to be retried) and that covers older jobs moves it forward.
 */
export function coveredUntilAfter(
  coveredUntil: number,
  job: Job,
  startedAt: number,
  finished: boolean,
): number {
  return finished && coversOlderJobs(job) ? Math.max(coveredUntil, startedAt) : coveredUntil;
}

/**
 * What a newer job replacing a waiting one of the same key becomes: the newer, but keeping
 * what the waiting one would have done. A sweep covers a reconcile (and more); a reconcile
 * keeps the oldest `since`, so files changed by the push whose job was replaced still count,
 * and none when either job covers older ones (`coversOlderJobs`).
 */
export function mergeJobs(waiting: Job, newer: Job): Job {
  if (waiting.kind === 'plan' || newer.kind === 'plan') return newer;
  if (waiting.kind === 'sweep' || newer.kind === 'sweep') {
    return {
      kind: 'sweep',
      repo: newer.repo,
      app: newer.app,
      branch: newer.branch,
      deliveryId: newer.deliveryId,
    };
  }
  const since = coversOlderJobs(waiting) || coversOlderJobs(newer) ? undefined : waiting.since;
  const forced = waiting.forced === true || newer.forced === true;
  const { since: _ignored, forced: _f, ...rest } = newer;
  return { ...rest, ...(since ? { since } : {}), ...(forced ? { forced } : {}) };
}
