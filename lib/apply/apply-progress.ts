/**
 * Progress of a long apply, as data: how many objects are applied or pruned out of how many,
 * and what the health wait is waiting for. `applyPlan` and `waitHealthy` report it through a
 * callback; what draws it (a line on a terminal, nothing in a pipe) is the caller's business.
 */

/** One step of an apply. */
export type ApplyProgress =
  | { stage: 'apply'; done: number; total: number }
  | { stage: 'prune'; done: number; total: number }
  | {
      stage: 'health';
      /** Objects with a rollout that are ready. */
      ready: number;
      total: number;
      /** The first object still progressing, and what it waits for (`Deployment web/api: 1 of 3 updated`). */
      waitingFor?: string;
    };

/** Receives progress; it must not throw (a failing display never fails an apply). */
export type OnApplyProgress = (progress: ApplyProgress) => void;
