/**
 * The queue consumer: each job goes to the `AppJobs` Durable Object of its app, which runs it
 * or acks it as covered; the verdict becomes ack or retry with backoff. The queue itself moves
 * a message to the dead-letter queue once its `max_retries` are spent; batches of that queue
 * come back here to be logged and recorded on the app's object.
 */
import { messageOf } from '../../lib/errors.ts';
import { type Job, jobKey } from '../../lib/jobs/job.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import { retryDelayOf, retryDelaySeconds } from './job-verdict.ts';
import type { AppJobsNamespace, AppJobsRpc, MessageBatch, QueueMessage } from './worker-env.ts';

/** What the consumer needs. */
export interface ConsumeDeps {
  appJobs: AppJobsNamespace;
  logger: Logger;
  /** Name of the dead-letter queue: its batches are recorded, never run. */
  deadLetterQueue: string;
  retryBaseSeconds: number;
}

/** True when `body` has the shape of a job (queues carry whatever a producer sent). */
export function isJob(body: unknown): body is Job {
  if (body === null || typeof body !== 'object') return false;
  const job = body as Record<string, unknown>;
  if (typeof job.repo !== 'string' || typeof job.deliveryId !== 'string') return false;
  if (job.kind === 'plan') return typeof job.number === 'number';
  return (
    (job.kind === 'reconcile' || job.kind === 'sweep') &&
    typeof job.app === 'string' &&
    typeof job.branch === 'string'
  );
}

function appJobsOf(deps: ConsumeDeps, job: Job): AppJobsRpc {
  return deps.appJobs.get(deps.appJobs.idFromName(jobKey(job)));
}

async function runMessage(deps: ConsumeDeps, message: QueueMessage<unknown>): Promise<void> {
  const job = message.body;
  if (!isJob(job)) {
    // Retrying cannot give a malformed message a shape: drop it, loudly.
    deps.logger.log('error', 'queue message is not a job: dropped', { messageId: message.id });
    message.ack();
    return;
  }
  const fields = { job: jobKey(job), delivery: job.deliveryId, attempts: message.attempts };
  try {
    const verdict = await appJobsOf(deps, job).run(job, message.timestamp.getTime());
    if (verdict.action === 'ack') {
      const level = verdict.status === 'failed' ? 'warn' : 'info';
      deps.logger.log(level, `job ${verdict.status}`, {
        ...fields,
        ...(verdict.reason ? { reason: verdict.reason } : {}),
      });
      message.ack();
      return;
    }
    const delaySeconds = retryDelayOf(verdict, message.attempts, deps.retryBaseSeconds);
    deps.logger.log('warn', 'job will be retried', {
      ...fields,
      reason: verdict.reason,
      delaySeconds,
    });
    message.retry({ delaySeconds });
  } catch (error) {
    // The object could not be reached (or was reset): the job has not run to completion.
    const delaySeconds = retryDelaySeconds(message.attempts, deps.retryBaseSeconds);
    deps.logger.log('error', 'job could not be delivered to its app', {
      ...fields,
      error: messageOf(error),
      delaySeconds,
    });
    message.retry({ delaySeconds });
  }
}

async function recordDeadLetter(deps: ConsumeDeps, message: QueueMessage<unknown>): Promise<void> {
  const job = message.body;
  if (!isJob(job)) {
    deps.logger.log('error', 'dead letter is not a job: dropped', { messageId: message.id });
  } else {
    deps.logger.log('error', 'job dead-lettered: its retries are spent', {
      job: jobKey(job),
      delivery: job.deliveryId,
      attempts: message.attempts,
    });
    await appJobsOf(deps, job).recordDeadLetter(job, message.attempts);
  }
  message.ack();
}

/** Handles one batch of the jobs queue or of its dead-letter queue. */
export async function consumeJobs(batch: MessageBatch<unknown>, deps: ConsumeDeps): Promise<void> {
  const handle = batch.queue === deps.deadLetterQueue ? recordDeadLetter : runMessage;
  // Messages of different apps run at once; those of one app queue up in its object.
  await Promise.all(batch.messages.map((message) => handle(deps, message)));
}
