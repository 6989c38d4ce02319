/**
 * `AppJobs`: the Durable Object of one app (named by `jobKey`, `owner/name#app`). Queue
 * messages reach it through the consumer; it runs them one at a time, so two invocations never
 * reconcile one app at once inside this deployment (the ApplySet lease on the cluster stays the
 * authority across deployments). Newest wins: a job enqueued before a finished covering run
 * started is acked without work (the supersede rule of `lib/jobs/supersede.ts`).
 */
import { DurableObject } from 'cloudflare:workers';
import { messageOf } from '../../lib/errors.ts';
import { type Job, jobKey } from '../../lib/jobs/job.ts';
import { coveredUntilAfter, isCoveredByRun } from '../../lib/jobs/supersede.ts';
import { MemoryLock } from '../../lib/ports/lock.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import { type JobVerdict, verdictOfError } from './job-verdict.ts';
import type { AppJobsRpc, AppJobsStatus } from './worker-env.ts';

/** What an `AppJobs` object runs jobs with: built from `env` by the entry point. */
export interface AppJobsRuntime {
  /**
   * Runs one job: resolves with the verdict of a job that ended (even in a reported failure)
   * and throws what the flow threw (transient failures are retried).
   */
  run: (job: Job) => Promise<JobVerdict>;
  logger: Logger;
}

const DEAD_LETTERS_KEPT = 10;
const STATUS_KEY = 'status';

/** The behaviour of `AppJobs`; the entry point subclasses it to say how `env` becomes a runtime. */
export abstract class AppJobsObject<Env> extends DurableObject<Env> implements AppJobsRpc {
  readonly #lock = new MemoryLock();
  #runtime: AppJobsRuntime | undefined;

  /** Builds the runtime from `env`; `holder` names this object in the app's cluster lease. */
  protected abstract createRuntime(env: Env, holder: string): AppJobsRuntime;

  /** The runtime, built on first use (tests may set it through `runInDurableObject`). */
  get runtime(): AppJobsRuntime {
    this.#runtime ??= this.createRuntime(this.env, `workers/app-jobs/${this.ctx.id.toString()}`);
    return this.#runtime;
  }

  set runtime(runtime: AppJobsRuntime) {
    this.#runtime = runtime;
  }

  /** Runs `job` after any job of this app already running, unless a later run covered it. */
  run(job: Job, enqueuedAt: number): Promise<JobVerdict> {
    return this.#lock.withLock('run', async () => {
      const status = await this.#status();
      if (isCoveredByRun(enqueuedAt, status.coveredUntil)) {
        return { action: 'ack', status: 'superseded', reason: 'a later run covered this job' };
      }
      const startedAt = Date.now();
      let verdict: JobVerdict;
      try {
        verdict = await this.runtime.run(job);
      } catch (error) {
        verdict = verdictOfError(error);
        this.runtime.logger.log(verdict.action === 'retry' ? 'warn' : 'error', 'job threw', {
          job: jobKey(job),
          error: messageOf(error),
        });
      }
      // Re-read: a dead letter may have been recorded while the job ran. Storage reads and
      // writes without other I/O between them are not interleaved (input and output gates).
      const current = await this.#status();
      const next: AppJobsStatus = {
        ...current,
        last: {
          job,
          verdict,
          startedAt: new Date(startedAt).toISOString(),
          finishedAt: new Date().toISOString(),
        },
      };
      // Only a run that finished covers older jobs: after a transient failure they still count.
      next.coveredUntil = coveredUntilAfter(
        current.coveredUntil,
        job,
        startedAt,
        verdict.action === 'ack',
      );
      await this.ctx.storage.put(STATUS_KEY, next);
      return verdict;
    });
  }

  /** Remembers a job the queue gave up on, for the status routes. */
  async recordDeadLetter(job: Job, attempts: number): Promise<void> {
    const status = await this.#status();
    const entry = { job, attempts, at: new Date().toISOString() };
    await this.ctx.storage.put(STATUS_KEY, {
      ...status,
      deadLetters: [entry, ...status.deadLetters].slice(0, DEAD_LETTERS_KEPT),
    });
  }

  /** What this app's object knows: last run and dead letters. */
  status(): Promise<AppJobsStatus> {
    return this.#status();
  }

  async #status(): Promise<AppJobsStatus> {
    return (
      (await this.ctx.storage.get<AppJobsStatus>(STATUS_KEY)) ?? {
        coveredUntil: 0,
        deadLetters: [],
      }
    );
  }
}
