/**
 * `queue` inside workerd: each message goes to its app's Durable Object, and the verdict
 * becomes an ack or a retry with backoff; dead letters are recorded on the app's object.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { consumeJobs } from '../../functions/cloudflare/consume-jobs.ts';
import {
  type JobVerdict,
  MAX_QUEUE_DELAY_SECONDS,
  retryDelayOf,
  retryDelaySeconds,
  verdictOfError,
} from '../../functions/cloudflare/job-verdict.ts';
import type { MessageBatch, WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker, { type AppJobs } from '../../functions/cloudflare.ts';
import { GitHubError } from '../../lib/errors.ts';
import { jobKey, type ReconcileJob } from '../../lib/jobs/job.ts';
import { silentLogger } from '../../lib/ports/logger.ts';

const workerEnv = env as unknown as WorkerEnv;

function job(app: string): ReconcileJob {
  return { kind: 'reconcile', repo: 'acme/deploy', app, branch: 'main', deliveryId: `d-${app}` };
}

async function useVerdict(app: string, verdict: JobVerdict): Promise<void> {
  const stub = workerEnv.APP_JOBS.get(workerEnv.APP_JOBS.idFromName(jobKey(job(app))));
  await runInDurableObject(stub as never, (instance: AppJobs) => {
    instance.runtime = { logger: silentLogger, run: async () => verdict };
  });
}

async function consume(
  queue: string,
  messages: { id: string; attempts: number; body: unknown }[],
  testEnv = workerEnv,
) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({ ...m, timestamp: new Date() })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as unknown as MessageBatch<unknown>, testEnv);
  return getQueueResult(batch, ctx);
}

describe('the queue consumer', () => {
  it('acks a job that ran, and one that failed for a reason a retry cannot fix', async () => {
    await useVerdict('q-applied', { action: 'ack', status: 'applied' });
    await useVerdict('q-invalid', { action: 'ack', status: 'failed', reason: 'render: bad patch' });
    const result = await consume('plumbline-jobs', [
      { id: 'm-applied', attempts: 1, body: job('q-applied') },
      { id: 'm-invalid', attempts: 1, body: job('q-invalid') },
    ]);
    expect(result.explicitAcks.sort()).toEqual(['m-applied', 'm-invalid']);
    expect(result.retryMessages).toEqual([]);
  });

  it('retries a transient failure with a delay doubling per attempt', async () => {
    await useVerdict('q-transient', { action: 'retry', reason: 'kube: 503' });
    const testEnv = { ...workerEnv, PLUMBLINE_RETRY_BASE_SECONDS: '30' } as WorkerEnv;
    const result = await consume(
      'plumbline-jobs',
      [
        { id: 'm-first', attempts: 1, body: job('q-transient') },
        { id: 'm-third', attempts: 3, body: job('q-transient') },
      ],
      testEnv,
    );
    expect(result.explicitAcks).toEqual([]);
    // getQueueResult does not report delays; retryDelaySeconds is checked on its own below.
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual([
      'm-first',
      'm-third',
    ]);
  });

  it('waits base, 2x base, 4x base ... between retries, at most 15 minutes, jittered', () => {
    const full = () => 1;
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(attempt, 30, full))).toEqual([
      30, 60, 120, 240,
    ]);
    expect(retryDelaySeconds(10, 30, full)).toBe(900);
    expect(retryDelaySeconds(3, 0)).toBe(0);
    // Equal jitter: between half and all of the exponential delay.
    expect(retryDelaySeconds(2, 30, () => 0)).toBe(30);
  });

  it('waits as long as GitHub asked when it rate limits, within what Queues accept', async () => {
    const limited = new GitHubError('GET /repos/acme/deploy: rate limited', 403, {
      rateLimited: true,
      retryAfterMs: 120_500,
    });
    const verdict = verdictOfError(new Error('reconcile failed', { cause: limited }));
    expect(verdict).toMatchObject({ action: 'retry', retryAfterMs: 120_500 });
    const full = () => 1;
    expect(retryDelayOf(verdict as { retryAfterMs?: number }, 1, 30, full)).toBe(121);
    // The backoff still wins when it is longer; the asked time is capped at 12 hours.
    expect(retryDelayOf({ retryAfterMs: 5_000 }, 3, 30, full)).toBe(120);
    expect(retryDelayOf({ retryAfterMs: 48 * 3_600_000 }, 1, 30, full)).toBe(
      MAX_QUEUE_DELAY_SECONDS,
    );
    expect(verdictOfError(new GitHubError('server error', 502))).toEqual({
      action: 'retry',
      reason: 'github: server error',
    });

    // The consumer hands that delay to the queue.
    const delays: (number | undefined)[] = [];
    const message = {
      id: 'm-limited',
      attempts: 1,
      timestamp: new Date(),
      body: job('q-limited'),
      ack: () => {},
      retry: (options?: { delaySeconds?: number }) => delays.push(options?.delaySeconds),
    };
    await consumeJobs({ queue: 'plumbline-jobs', messages: [message] } as never, {
      appJobs: {
        idFromName: (name: string) => name,
        get: () => ({ run: async () => verdict }),
      } as never,
      logger: silentLogger,
      deadLetterQueue: 'plumbline-jobs-dlq',
      retryBaseSeconds: 1,
    });
    expect(delays).toEqual([121]);
  });

  it('drops a message that is not a job instead of retrying it forever', async () => {
    const result = await consume('plumbline-jobs', [
      { id: 'm-junk', attempts: 1, body: { hello: 'world' } },
    ]);
    expect(result.explicitAcks).toEqual(['m-junk']);
    expect(result.retryMessages).toEqual([]);
  });

  it('records a dead letter on its app and acks it', async () => {
    const result = await consume('plumbline-jobs-dlq', [
      { id: 'm-dead', attempts: 6, body: job('q-dead') },
    ]);
    expect(result.explicitAcks).toEqual(['m-dead']);
    const stub = workerEnv.APP_JOBS.get(workerEnv.APP_JOBS.idFromName(jobKey(job('q-dead'))));
    const status = await stub.status();
    expect(status.deadLetters).toEqual([
      { job: job('q-dead'), attempts: 6, at: expect.any(String) },
    ]);
  });
});
