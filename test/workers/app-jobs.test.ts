/**
 * The `AppJobs` Durable Object inside workerd: one app's jobs run one at a time, and a job
 * enqueued before a finished run started is acked without running (newest wins). The object's
 * runtime is replaced through `runInDurableObject` so the tests control how long a job takes.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { JobVerdict } from '../../functions/cloudflare/job-verdict.ts';
import type { AppJobsRpc, WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import type { AppJobs } from '../../functions/cloudflare.ts';
import { jobKey, type ReconcileJob } from '../../lib/jobs/job.ts';
import { silentLogger } from '../../lib/ports/logger.ts';

const workerEnv = env as unknown as WorkerEnv;

function job(app: string, deliveryId: string): ReconcileJob {
  return { kind: 'reconcile', repo: 'acme/deploy', app, branch: 'main', deliveryId };
}

function stubOf(app: string): AppJobsRpc {
  return workerEnv.APP_JOBS.get(workerEnv.APP_JOBS.idFromName(jobKey(job(app, ''))));
}

/** Makes the app's object run jobs with `run`, which records what it does in `events`. */
async function useRuntime(
  app: string,
  run: (job: ReconcileJob) => Promise<JobVerdict>,
): Promise<AppJobsRpc> {
  const stub = stubOf(app);
  await runInDurableObject(stub as never, (instance: AppJobs) => {
    instance.runtime = { logger: silentLogger, run: (j) => run(j as ReconcileJob) };
  });
  return stub;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AppJobs', () => {
  it('runs two jobs of one app one after the other, never at once', async () => {
    const events: string[] = [];
    const stub = await useRuntime('serial', async (j) => {
      events.push(`start ${j.deliveryId}`);
      await sleep(50);
      events.push(`end ${j.deliveryId}`);
      return { action: 'ack', status: 'applied' };
    });
    const now = Date.now();
    const verdicts = await Promise.all([
      stub.run(job('serial', 'a'), now + 10_000),
      stub.run(job('serial', 'b'), now + 10_000),
    ]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(verdicts).toEqual([
      { action: 'ack', status: 'applied' },
      { action: 'ack', status: 'applied' },
    ]);
  });

  it('acks without running a job enqueued before a finished run started', async () => {
    const ran: string[] = [];
    const stub = await useRuntime('newest-wins', async (j) => {
      ran.push(j.deliveryId);
      return { action: 'ack', status: 'applied' };
    });
    const enqueuedLongAgo = Date.now() - 60_000;
    await stub.run(job('newest-wins', 'newer'), Date.now());
    const verdict = await stub.run(job('newest-wins', 'older'), enqueuedLongAgo);
    expect(verdict).toEqual({
      action: 'ack',
      status: 'superseded',
      reason: 'a later run covered this job',
    });
    expect(ran).toEqual(['newer']);
    const status = await stub.status();
    expect(status.last?.job.deliveryId).toBe('newer');
    expect(status.coveredUntil).toBeGreaterThan(enqueuedLongAgo);
  });

  it('still runs an older job after a run that only looked at changes since a later push', async () => {
    const ran: string[] = [];
    const stub = await useRuntime('since-hint', async (j) => {
      ran.push(j.deliveryId);
      return { action: 'ack', status: 'skipped', reason: 'not affected' };
    });
    const newerPush = { ...job('since-hint', 'newer'), since: 'b'.repeat(40) };
    const olderPush = { ...job('since-hint', 'older'), since: 'a'.repeat(40) };
    await stub.run(newerPush, Date.now());
    const verdict = await stub.run(olderPush, Date.now() - 60_000);
    expect(verdict).toEqual({ action: 'ack', status: 'skipped', reason: 'not affected' });
    expect(ran).toEqual(['newer', 'older']);
  });

  it('still runs older jobs after a run that failed transiently', async () => {
    const ran: string[] = [];
    const stub = await useRuntime('transient', async (j) => {
      ran.push(j.deliveryId);
      return ran.length === 1
        ? { action: 'retry', reason: 'kube: no answer' }
        : { action: 'ack', status: 'applied' };
    });
    const first = await stub.run(job('transient', 'first'), Date.now());
    const older = await stub.run(job('transient', 'older'), Date.now() - 60_000);
    expect(first).toEqual({ action: 'retry', reason: 'kube: no answer' });
    expect(older).toEqual({ action: 'ack', status: 'applied' });
    expect(ran).toEqual(['first', 'older']);
  });

  it('retries a job that throws a transient failure, acks one that throws anything else', async () => {
    let calls = 0;
    const stub = await useRuntime('throws', async () => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      if (calls === 2) throw new Error('a bug');
      return { action: 'ack', status: 'applied' };
    });
    expect(await stub.run(job('throws', 'x'), Date.now())).toEqual({
      action: 'retry',
      reason: 'fetch failed',
    });
    expect(await stub.run(job('throws', 'y'), Date.now())).toEqual({
      action: 'ack',
      status: 'failed',
      reason: 'a bug',
    });
    expect(await stub.run(job('throws', 'z'), Date.now())).toEqual({
      action: 'ack',
      status: 'applied',
    });
  });
});
