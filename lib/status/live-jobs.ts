/**
 * What a runtime is doing now, per app: jobs waiting in its queue and the one running (whose
 * holder then holds the app's lease). The Node runtime keeps it around its in-process queue;
 * the status page shows it beside the history.
 */
import { type Job, jobKey } from '../jobs/job.ts';
import type { Queue } from '../ports/queue.ts';

/** A job of an app, queued or running in this runtime. */
export interface LiveJob {
  repo: string;
  app: string;
  kind: Job['kind'];
  state: 'queued' | 'running';
  /** Who runs it (the lease holder of this runtime). */
  holder: string;
  /** ISO time it was queued or started. */
  since: string;
}

/** The apps' live jobs, kept by the runtime. */
export class LiveJobs {
  readonly #jobs = new Map<string, LiveJob>();
  readonly #holder: string;
  readonly #now: () => number;

  constructor(holder: string, now: () => number = Date.now) {
    this.#holder = holder;
    this.#now = now;
  }

  #set(job: Job, state: LiveJob['state']): void {
    if (job.kind === 'plan') return;
    this.#jobs.set(jobKey(job), {
      repo: job.repo,
      app: job.app,
      kind: job.kind,
      state,
      holder: this.#holder,
      since: new Date(this.#now()).toISOString(),
    });
  }

  /** A job was queued (a running job of the app stays shown as running). */
  queued(job: Job): void {
    if (job.kind === 'plan' || this.#jobs.get(jobKey(job))?.state === 'running') return;
    this.#set(job, 'queued');
  }

  /** Runs `run` for `job`, shown as running meanwhile. */
  async running<T>(job: Job, run: () => Promise<T>): Promise<T> {
    this.#set(job, 'running');
    try {
      return await run();
    } finally {
      if (job.kind !== 'plan') this.#jobs.delete(jobKey(job));
    }
  }

  /** The live jobs of an app. */
  of(repo: string, app: string): LiveJob[] {
    return [...this.#jobs.values()].filter((job) => job.repo === repo && job.app === app);
  }

  /** Every live job. */
  all(): LiveJob[] {
    return [...this.#jobs.values()];
  }

  /** `queue`, noting each job sent through it as queued. */
  watch(queue: Queue<Job>): Queue<Job> {
    return {
      send: async (job, options) => {
        await queue.send(job, options);
        this.queued(job);
      },
    };
  }
}
