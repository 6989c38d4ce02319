/**
 * An in-process `Queue` with its consumer: what Node runs instead of Workers Queues. Per key
 * (per app) at most one job runs at a time, and at most one waits; a newer job for the same
 * key replaces the waiting one, since jobs are level-triggered and the newest says it all.
 */
import { backoffDelay } from '../core/backoff.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue, SendOptions } from '../ports/queue.ts';

/** How a `JobQueue` is built. */
export interface JobQueueOptions<T> {
  /** Jobs with the same key never run concurrently, and a newer one replaces a waiting one. */
  keyOf: (job: T) => string;
  /**
   * Runs one job. A rejection is logged; it is retried only when `retry` says the failure is
   * transient (otherwise the sweep repairs).
   */
  run: (job: T) => Promise<void>;
  /** What a newer job replacing a waiting one becomes (default: the newer one). */
  merge?: (waiting: T, newer: T) => T;
  /** Retries with backoff for transient failures (5xx, network). */
  retry?: RetryPolicy;
  logger: Logger;
  /** Jobs of different keys running at once (default 4). */
  concurrency?: number;
}

/** When and how often a failed job runs again. */
export interface RetryPolicy {
  /** Total runs of one job, the first included (e.g. 4: three retries). */
  attempts: number;
  /** Delay before run `attempt` + 1 (1-based `attempt` just failed with `error`). */
  delayMs: (attempt: number, error?: unknown) => number;
  isTransient: (error: unknown) => boolean;
}

/** A `RetryPolicy.delayMs` from the one backoff formula (`lib/core/backoff.ts`). */
export function backoff(baseMs: number, capMs: number, random: () => number = Math.random) {
  return (attempt: number): number => backoffDelay(attempt, { baseMs, capMs }, random);
}

/** Counts of what the queue holds, for health checks and tests. */
export interface JobQueueStats {
  running: number;
  waiting: number;
  delayed: number;
  /** Jobs dropped because a newer job for the same key replaced them. */
  replaced: number;
  completed: number;
  failed: number;
  /** Runs scheduled again after a transient failure. */
  retried: number;
}

/** In-process queue and consumer with per-key serialization. */
export class JobQueue<T> implements Queue<T> {
  readonly #options: JobQueueOptions<T>;
  readonly #concurrency: number;
  readonly #waiting = new Map<string, T>();
  readonly #ready: string[] = [];
  readonly #running = new Set<string>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #idleWaiters: (() => void)[] = [];
  #closed = false;
  #stats = { replaced: 0, completed: 0, failed: 0, retried: 0 };
  /** Failed runs so far of jobs being retried. */
  readonly #attempts = new Map<T, number>();

  constructor(options: JobQueueOptions<T>) {
    this.#options = options;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  async send(job: T, options: SendOptions = {}): Promise<void> {
    if (this.#closed) {
      this.#options.logger.log('warn', 'job refused: queue is shutting down', {
        key: this.#options.keyOf(job),
      });
      return;
    }
    const delayMs = Math.max(0, (options.delaySeconds ?? 0) * 1000);
    if (delayMs === 0) {
      this.#enqueue(job);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#enqueue(job);
    }, delayMs);
    this.#timers.add(timer);
  }

  #enqueue(job: T): void {
    const key = this.#options.keyOf(job);
    const waiting = this.#waiting.get(key);
    let next = job;
    if (waiting !== undefined) {
      this.#stats.replaced += 1;
      this.#options.logger.log('debug', 'waiting job replaced by a newer one', { key });
      if (this.#options.merge) next = this.#options.merge(waiting, job);
    }
    this.#waiting.set(key, next);
    if (!this.#running.has(key) && !this.#ready.includes(key)) this.#ready.push(key);
    this.#pump();
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift() as string;
      const job = this.#waiting.get(key) as T;
      this.#waiting.delete(key);
      this.#running.add(key);
      void this.#runOne(key, job);
    }
    if (this.#isIdle()) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #runOne(key: string, job: T): Promise<void> {
    try {
      await this.#options.run(job);
      this.#attempts.delete(job);
      this.#stats.completed += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retry = this.#options.retry;
      const attempt = (this.#attempts.get(job) ?? 0) + 1;
      // A newer job already waiting for the key supersedes a retry: it re-reads the head anyway,
      // and takes over what the failed one had to do (its older `since`, say).
      const superseded = this.#absorb(key, job);
      if (
        retry &&
        attempt < retry.attempts &&
        retry.isTransient(error) &&
        !this.#closed &&
        !superseded
      ) {
        this.#stats.retried += 1;
        const delayMs = retry.delayMs(attempt, error);
        this.#options.logger.log('warn', 'job failed, will retry', {
          key,
          attempt,
          delayMs,
          error: message,
        });
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (this.#absorb(key, job)) return this.#pump();
          this.#attempts.set(job, attempt);
          this.#enqueue(job);
        }, delayMs);
        this.#timers.add(timer);
      } else {
        this.#attempts.delete(job);
        this.#stats.failed += 1;
        this.#options.logger.log('error', 'job failed', { key, attempt, error: message });
      }
    } finally {
      this.#running.delete(key);
      // A job that arrived while this one ran waits for it, then goes to the back of the line.
      if (this.#waiting.has(key)) this.#ready.push(key);
      this.#pump();
    }
  }

  /**
   * Folds `job` into the job waiting for `key`, if there is one (the waiting one is newer);
   * returns whether there was one.
   */
  #absorb(key: string, job: T): boolean {
    const waiting = this.#waiting.get(key);
    if (waiting === undefined) return false;
    if (this.#options.merge) this.#waiting.set(key, this.#options.merge(job, waiting));
    return true;
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#waiting.size === 0 && this.#timers.size === 0;
  }

  /** Resolves once nothing runs, waits or is delayed. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Graceful shutdown: refuses new jobs, drops delayed ones (the sweep will find their apps),
   * and resolves once running and waiting jobs have finished.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    if (this.#timers.size > 0) {
      this.#options.logger.log('info', 'delayed jobs dropped at shutdown', {
        count: this.#timers.size,
      });
    }
    this.#timers.clear();
    this.#pump();
    await this.idle();
  }

  /** What the queue holds now. */
  stats(): JobQueueStats {
    return {
      running: this.#running.size,
      waiting: this.#waiting.size,
      delayed: this.#timers.size,
      ...this.#stats,
    };
  }
}
