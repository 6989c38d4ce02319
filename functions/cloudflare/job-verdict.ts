/**
 * What the queue does with a job once it ran: ack it, or retry it later. The flows of
 * `lib/flows` report failures caused by the commit or the configuration (invalid
 * `plumbline.yaml`, a render or decrypt error, an object the API server refuses) as outcomes:
 * those fail the same way on every retry until someone pushes a fix, and that push brings its
 * own job, so they are acked. A transient failure (GitHub or the API server unreachable or
 * answering 5xx or 429) is thrown; the message is retried with backoff, and dead-lettered by
 * the queue once its `max_retries` are spent. Anything else thrown is acked and logged, as the
 * Node runtime does.
 */
import { backoffDelay } from '../../lib/core/backoff.ts';
import { messageOf, PlumblineError } from '../../lib/errors.ts';
import type { FlowOutcome } from '../../lib/flows/run-flow.ts';
import { isTransient, retryAfterOf } from '../../lib/jobs/transient.ts';

/** The consumer's decision for one message. */
export type JobVerdict =
  | {
      action: 'ack';
      /** The flow's outcome (`applied`, `skipped`, `in-sync`, `planned` ...), or `superseded`. */
      status: string;
      reason?: string;
    }
  | {
      action: 'retry';
      reason: string;
      /** How long the failing side asked to wait (GitHub's `retry-after` or rate-limit reset). */
      retryAfterMs?: number;
    };

/** A thrown error as one line: the stage first, as users see failures elsewhere. */
function describeError(error: unknown): string {
  return error instanceof PlumblineError ? `${error.stage}: ${error.message}` : messageOf(error);
}

/** Ack, with what the flow reported. */
export function verdictOf(outcome: FlowOutcome): JobVerdict {
  let reason: string | undefined;
  if ('failure' in outcome && outcome.failure) {
    reason = `${outcome.failure.stage}: ${outcome.failure.message}`;
  } else if ('reason' in outcome) {
    reason = outcome.reason;
  } else if ('error' in outcome) {
    reason = outcome.error;
  }
  return { action: 'ack', status: outcome.status, ...(reason ? { reason } : {}) };
}

/** Retry a transient failure; ack (as failed) anything else a flow threw. */
export function verdictOfError(error: unknown): JobVerdict {
  const reason = describeError(error);
  if (!isTransient(error)) return { action: 'ack', status: 'failed', reason };
  const retryAfterMs = retryAfterOf(error);
  return { action: 'retry', reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/**
 * Backoff before retry `attempt` (1-based), in whole seconds as Queues take it: the one
 * formula (`lib/core/backoff.ts`) from `base`, at most 15 minutes.
 */
export function retryDelaySeconds(
  attempt: number,
  baseSeconds: number,
  random: () => number = Math.random,
): number {
  const ms = backoffDelay(attempt, { baseMs: baseSeconds * 1000, capMs: 15 * 60 * 1000 }, random);
  return Math.round(ms / 1000);
}

/** The longest delay Queues accept for a retry (12 hours). */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

/**
 * The delay before retry `attempt` of a message: the backoff, or longer when the failing side
 * named a time (a rate limit resets at a known moment; retrying before it only spends attempts
 * toward the dead-letter queue), within what Queues accept.
 */
export function retryDelayOf(
  verdict: { retryAfterMs?: number },
  attempt: number,
  baseSeconds: number,
  random: () => number = Math.random,
): number {
  const backoff = retryDelaySeconds(attempt, baseSeconds, random);
  const asked = Math.ceil((verdict.retryAfterMs ?? 0) / 1000);
  return Math.min(Math.max(backoff, asked), MAX_QUEUE_DELAY_SECONDS);
}
