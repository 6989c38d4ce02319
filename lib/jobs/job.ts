/**
 * The jobs the webhook and the sweep hand to the consumer. Jobs are level-triggered: they say
 * "look at this app now" and never carry a commit to apply; the consumer re-reads the branch
 * head, so lost, duplicated or reordered jobs are harmless.
 */
/** Reconcile one app of one repository to the head of its branch. */
export interface ReconcileJob {
  kind: 'reconcile';
  /** The repository, `owner/name`. */
  repo: string;
  /** The app's name in `plumbline.yaml`. */
  app: string;
  /** The branch the app tracks (the consumer re-reads its head). */
  branch: string;
  /** `X-GitHub-Delivery` of the webhook that caused it (or a sweep id), for logs. */
  deliveryId: string;
  /**
   * A hint, never a command: the branch head before the push that caused the job. The
   * consumer lists the files changed since then to decide whether the app is affected at all;
   * without it (or when it is all zeros) the app's rendered digest decides.
   */
  since?: string;
  /** The push rewrote history: `since` says nothing about what changed. */
  forced?: boolean;
}

/** Plan every affected app of one pull request (dry run only); or mark it outdated when closed. */
export interface PlanJob {
  kind: 'plan';
  repo: string;
  /** The pull request number (the consumer re-reads its head and state). */
  number: number;
  deliveryId: string;
}

/**
 * Reconcile-or-report one app: catch a missed webhook (head vs the applied revision), report
 * drift as an issue, and self-heal where the app asks for it.
 */
export interface SweepJob {
  kind: 'sweep';
  repo: string;
  app: string;
  branch: string;
  deliveryId: string;
}

/** Every kind of job. */
export type Job = ReconcileJob | PlanJob | SweepJob;

/**
 * The serialization key of a job: one job per app runs at a time (reconciles and sweeps of an
 * app share it, since both may apply), one per pull request.
 */
export function jobKey(job: Job): string {
  return job.kind === 'plan' ? `${job.repo}#pr/${job.number}` : `${job.repo}#${job.app}`;
}
