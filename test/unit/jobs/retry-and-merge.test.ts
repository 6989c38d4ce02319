import { describe, expect, it } from 'vitest';
import { GitHubError, KubeError, RenderError } from '../../../lib/errors.ts';
import { type Job, jobKey, type ReconcileJob } from '../../../lib/jobs/job.ts';
import { backoff, JobQueue } from '../../../lib/jobs/job-queue.ts';
import { mergeJobs } from '../../../lib/jobs/supersede.ts';
import { isTransient } from '../../../lib/jobs/transient.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';

const reconcile = (deliveryId: string, since?: string): ReconcileJob => ({
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId,
  ...(since ? { since } : {}),
});

describe('transient failures', () => {
  it('retries 5xx, 429 and unreachable hosts, and nothing else', () => {
    expect(isTransient(new GitHubError('x', 502))).toBe(true);
    expect(isTransient(new GitHubError('x', 0))).toBe(true);
    expect(isTransient(new KubeError('x', 503))).toBe(true);
    expect(isTransient(new KubeError('x', 429))).toBe(true);
    expect(isTransient(new TypeError('fetch failed'))).toBe(true);
    expect(isTransient(new Error('wrapped', { cause: new KubeError('x', 500) }))).toBe(true);
    expect(isTransient(new GitHubError('x', 404))).toBe(false);
    expect(isTransient(new KubeError('x', 422, 'Invalid'))).toBe(false);
    expect(isTransient(new RenderError('apps/web: bad'))).toBe(false);
  });

  it('backs off exponentially with jitter, capped', () => {
    const delay = backoff(100, 1_000, () => 1);
    expect([1, 2, 3, 4, 5].map(delay)).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoff(100, 1_000, () => 0)(1)).toBe(50);
  });
});

describe('JobQueue retries', () => {
  const policy = { attempts: 3, delayMs: () => 1, isTransient };

  it('runs a job again after a transient failure, until it succeeds', async () => {
    const logger = new MemoryLogger();
    let runs = 0;
    const queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger,
      retry: policy,
      run: async () => {
        runs += 1;
        if (runs < 3) throw new GitHubError('acme/deploy: GitHub answered 502', 502);
      },
    });
    await queue.send(reconcile('d1'));
    await queue.idle();
    expect(runs).toBe(3);
    expect(queue.stats()).toMatchObject({ completed: 1, failed: 0, retried: 2 });
    expect(logger.find('will retry')).toHaveLength(2);
  });

  it('gives up after the last attempt and logs the failure', async () => {
    const logger = new MemoryLogger();
    let runs = 0;
    const queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger,
      retry: policy,
      run: async () => {
        runs += 1;
        throw new KubeError('apps/v1 Deployment web/web: server answered 503', 503);
      },
    });
    await queue.send(reconcile('d1'));
    await queue.idle();
    expect(runs).toBe(3);
    expect(queue.stats()).toMatchObject({ failed: 1, retried: 2 });
    expect(logger.entries.filter((e) => e.level === 'error')[0]?.fields).toMatchObject({
      attempt: 3,
    });
  });

  it('never retries a failure that would repeat (a render error)', async () => {
    let runs = 0;
    const queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger: new MemoryLogger(),
      retry: policy,
      run: async () => {
        runs += 1;
        throw new RenderError('apps/web/kustomization.yaml: bad');
      },
    });
    await queue.send(reconcile('d1'));
    await queue.idle();
    expect(runs).toBe(1);
    expect(queue.stats()).toMatchObject({ failed: 1, retried: 0 });
  });

  it('drops the retry when a newer job for the app is already waiting', async () => {
    const seen: string[] = [];
    let queue: JobQueue<Job> | undefined;
    queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger: new MemoryLogger(),
      retry: { ...policy, delayMs: () => 20 },
      run: async (job) => {
        seen.push(job.deliveryId);
        if (job.deliveryId === 'd1') {
          await queue?.send(reconcile('d2'));
          throw new GitHubError('502', 502);
        }
      },
    });
    await queue.send(reconcile('d1'));
    await queue.idle();
    expect(seen).toEqual(['d1', 'd2']);
  });
});

describe('JobQueue: a failed job is not lost behind a newer one', () => {
  it('folds a failed push job into the waiting one, keeping its older since', async () => {
    const started: Job[] = [];
    let queue: JobQueue<Job> | undefined;
    queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger: new MemoryLogger(),
      merge: mergeJobs,
      retry: { attempts: 3, delayMs: () => 1, isTransient },
      run: async (job) => {
        started.push(job);
        if (job.deliveryId === 'd1') {
          await queue?.send(reconcile('d2', '2'.repeat(40)));
          throw new GitHubError('502', 502);
        }
      },
    });
    await queue.send(reconcile('d1', '1'.repeat(40)));
    await queue.idle();
    expect(started.map((j) => [j.deliveryId, (j as ReconcileJob).since?.[0]])).toEqual([
      ['d1', '1'],
      ['d2', '1'],
    ]);
  });
});

describe('mergeJobs', () => {
  it('keeps the oldest since when a newer push replaces a waiting one', () => {
    expect(mergeJobs(reconcile('d1', 'a'.repeat(40)), reconcile('d2', 'b'.repeat(40)))).toEqual(
      reconcile('d2', 'a'.repeat(40)),
    );
  });

  it('drops the hint when either job had none (the digest decides)', () => {
    expect(mergeJobs(reconcile('d1'), reconcile('d2', 'b'.repeat(40)))).toEqual(reconcile('d2'));
  });

  it('lets a sweep cover a reconcile of the same app, either way round', () => {
    const sweep: Job = {
      kind: 'sweep',
      repo: 'acme/deploy',
      app: 'web',
      branch: 'main',
      deliveryId: 's',
    };
    expect(mergeJobs(sweep, reconcile('d2'))).toMatchObject({ kind: 'sweep', deliveryId: 'd2' });
    expect(mergeJobs(reconcile('d1'), sweep)).toMatchObject({ kind: 'sweep', deliveryId: 's' });
  });

  it('keys plan jobs per pull request and reconcile and sweep jobs per app', () => {
    expect(jobKey({ kind: 'plan', repo: 'acme/deploy', number: 4, deliveryId: 'x' })).toBe(
      'acme/deploy#pr/4',
    );
    expect(jobKey(reconcile('d'))).toBe('acme/deploy#web');
  });

  it('merges a newer job into the waiting one through the queue', async () => {
    const started: Job[] = [];
    let release: () => void = () => {};
    const queue = new JobQueue<Job>({
      keyOf: jobKey,
      logger: new MemoryLogger(),
      merge: mergeJobs,
      run: async (job) => {
        started.push(job);
        if (started.length === 1) await new Promise<void>((r) => (release = r));
      },
    });
    await queue.send(reconcile('d1', '1'.repeat(40)));
    await queue.send(reconcile('d2', '2'.repeat(40)));
    await queue.send(reconcile('d3', '3'.repeat(40)));
    await new Promise((r) => setTimeout(r, 0));
    release();
    await queue.idle();
    expect(started.map((j) => [j.deliveryId, (j as ReconcileJob).since?.[0]])).toEqual([
      ['d1', '1'],
      ['d3', '2'],
    ]);
  });
});
