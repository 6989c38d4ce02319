import { describe, expect, it } from 'vitest';
import { jobKey, type ReconcileJob } from '../../../lib/jobs/job.ts';
import { JobQueue } from '../../../lib/jobs/job-queue.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';

function job(app: string, deliveryId: string, repo = 'acme/deploy'): ReconcileJob {
  return { kind: 'reconcile', repo, app, branch: 'main', deliveryId };
}

/** A run function whose jobs finish only when the test releases them. */
function gatedRunner() {
  const started: ReconcileJob[] = [];
  const gates: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (j: ReconcileJob) => {
    started.push(j);
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active -= 1;
  };
  const releaseNext = async () => {
    const gate = gates.shift();
    if (!gate) throw new Error('no job is running');
    gate();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { run, started, releaseNext, maxActive: () => maxActive };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('JobQueue', () => {
  it('runs one job per app at a time', async () => {
    const runner = gatedRunner();
    const queue = new JobQueue({ keyOf: jobKey, run: runner.run, logger: new MemoryLogger() });
    await queue.send(job('api', 'd1'));
    await queue.send(job('api', 'd2'));
    await tick();
    expect(runner.started.map((j) => j.deliveryId)).toEqual(['d1']);
    await runner.releaseNext();
    expect(runner.started.map((j) => j.deliveryId)).toEqual(['d1', 'd2']);
    await runner.releaseNext();
    await queue.idle();
    expect(runner.maxActive()).toBe(1);
  });

  it('replaces a waiting job with a newer one for the same app', async () => {
    const runner = gatedRunner();
    const queue = new JobQueue({ keyOf: jobKey, run: runner.run, logger: new MemoryLogger() });
    await queue.send(job('api', 'd1'));
    await queue.send(job('api', 'd2'));
    await queue.send(job('api', 'd3'));
    await tick();
    await runner.releaseNext();
    await runner.releaseNext();
    await queue.idle();
    expect(runner.started.map((j) => j.deliveryId)).toEqual(['d1', 'd3']);
    expect(queue.stats()).toMatchObject({ replaced: 1, completed: 2, failed: 0 });
  });

  it('runs different apps concurrently up to the concurrency bound', async () => {
    const runner = gatedRunner();
    const queue = new JobQueue({
      keyOf: jobKey,
      run: runner.run,
      logger: new MemoryLogger(),
      concurrency: 2,
    });
    for (const app of ['a', 'b', 'c']) await queue.send(job(app, `d-${app}`));
    await tick();
    expect(runner.started.map((j) => j.app)).toEqual(['a', 'b']);
    await runner.releaseNext();
    expect(runner.started.map((j) => j.app)).toEqual(['a', 'b', 'c']);
    await runner.releaseNext();
    await runner.releaseNext();
    await queue.idle();
    expect(runner.maxActive()).toBe(2);
  });

  it('treats the same app name in two repositories as two keys', async () => {
    const runner = gatedRunner();
    const queue = new JobQueue({ keyOf: jobKey, run: runner.run, logger: new MemoryLogger() });
    await queue.send(job('api', 'd1', 'acme/one'));
    await queue.send(job('api', 'd2', 'acme/two'));
    await tick();
    expect(runner.started).toHaveLength(2);
    await runner.releaseNext();
    await runner.releaseNext();
  });

  it('logs a failed job and keeps consuming', async () => {
    const logger = new MemoryLogger();
    const ran: string[] = [];
    const queue = new JobQueue<ReconcileJob>({
      keyOf: jobKey,
      logger,
      run: async (j) => {
        ran.push(j.deliveryId);
        if (j.deliveryId === 'bad') throw new Error('cluster unreachable');
      },
    });
    await queue.send(job('api', 'bad'));
    await queue.idle();
    await queue.send(job('api', 'good'));
    await queue.idle();
    expect(ran).toEqual(['bad', 'good']);
    expect(logger.find('job failed')[0]?.fields).toMatchObject({
      key: 'acme/deploy#api',
      error: 'cluster unreachable',
    });
    expect(queue.stats()).toMatchObject({ completed: 1, failed: 1 });
  });

  it('delivers a delayed job only after its delay', async () => {
    const ran: string[] = [];
    const queue = new JobQueue<ReconcileJob>({
      keyOf: jobKey,
      logger: new MemoryLogger(),
      run: async (j) => {
        ran.push(j.deliveryId);
      },
    });
    const sentAt = Date.now();
    await queue.send(job('api', 'later'), { delaySeconds: 0.05 });
    await tick();
    expect(ran).toEqual([]);
    expect(queue.stats().delayed).toBe(1);
    await queue.idle();
    expect(ran).toEqual(['later']);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(45);
  });

  it('finishes running and waiting jobs on close, drops delayed ones and refuses new ones', async () => {
    const runner = gatedRunner();
    const logger = new MemoryLogger();
    const queue = new JobQueue({ keyOf: jobKey, run: runner.run, logger });
    await queue.send(job('api', 'd1'));
    await queue.send(job('api', 'd2'));
    await queue.send(job('web', 'delayed'), { delaySeconds: 60 });
    await tick();
    const closed = queue.close();
    await queue.send(job('db', 'too-late'));
    await runner.releaseNext();
    await runner.releaseNext();
    await closed;
    expect(runner.started.map((j) => j.deliveryId)).toEqual(['d1', 'd2']);
    expect(logger.find('delayed jobs dropped')[0]?.fields).toEqual({ count: 1 });
    expect(logger.find('queue is shutting down')).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ running: 0, waiting: 0, delayed: 0 });
  });
});
