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
}

/** Every kind of job. Plan jobs for pull requests join this union later. */
export type Job = ReconcileJob;

/** The serialization key of a job: one job per app runs at a time. */
export function jobKey(job: Job): string {
  return `${job.repo}#${job.app}`;
}
