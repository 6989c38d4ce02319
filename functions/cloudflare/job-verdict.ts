/**
 * What the queue does with a job once it ran: ack it, or retry it later. A failure caused by
 * the commit's content (invalid `plumbline.yaml`, a render or decrypt error, a refused
 * credential setup) fails the same way on every retry until someone pushes a fix, and that
 * push brings its own job; so it is acked and reported. Anything else (GitHub or the API
 * server unreachable or answering 5xx, the app's lease held by another run) may pass later,
 * so the message is retried with backoff and dead-lettered once the queue's `max_retries`
 * are spent.
 */
import type { Stage } from '../../lib/errors.ts';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile-app.ts';

/** The consumer's decision for one message. */
export type JobVerdict =
  | { action: 'ack'; status: 'applied' | 'skipped' | 'superseded' | 'failed'; reason?: string }
  | { action: 'retry'; reason: string };

/** Stages whose failure depends only on the commit (retrying the same head cannot help). */
const PERMANENT_STAGES: ReadonlySet<Stage> = new Set<Stage>([
  'config',
  'render',
  'decrypt',
  'plan',
  'credentials',
]);

/** Decides ack or retry from a reconcile outcome. */
export function verdictOf(outcome: ReconcileOutcome): JobVerdict {
  if (outcome.status === 'applied') return { action: 'ack', status: 'applied' };
  if (outcome.status === 'skipped') {
    return { action: 'ack', status: 'skipped', reason: outcome.reason };
  }
  const failure = outcome.failure;
  if (failure && PERMANENT_STAGES.has(failure.stage)) {
    return { action: 'ack', status: 'failed', reason: `${failure.stage}: ${failure.message}` };
  }
  return {
    action: 'retry',
    reason: failure ? `${failure.stage}: ${failure.message}` : 'reconcile failed',
  };
}

/** Backoff before retry `attempt` (1-based): `base`, doubled per attempt, at most 15 minutes. */
export function retryDelaySeconds(attempt: number, baseSeconds: number): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, attempt - 1), 15 * 60);
}
