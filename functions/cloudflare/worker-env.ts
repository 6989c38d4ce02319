/**
 * The Worker's `env` and the parts of the Workers runtime API Plumbline touches, described
 * structurally (the project's type checking cannot load `@cloudflare/workers-types` next to
 * the DOM and Node types). Names follow the Workers documentation.
 */
import type { Job } from '../../lib/jobs/job.ts';
import type { D1Database } from './d1-history.ts';
import type { JobVerdict } from './job-verdict.ts';
import type { QueueBinding } from './queue-producer.ts';

/** Storage of a Durable Object (the SQLite-backed key-value API). */
export interface DurableObjectStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
}

/** `this.ctx` of a Durable Object. */
export interface DurableObjectContext {
  id: { toString(): string; name?: string };
  storage: DurableObjectStorage;
}

/** What a job's Durable Object records about its app, for the status routes. */
export interface AppJobsStatus {
  /** Jobs enqueued before this time (ms) were covered by a finished run and are acked unrun. */
  coveredUntil: number;
  last?: { job: Job; verdict: JobVerdict; startedAt: string; finishedAt: string };
  /** The most recent dead-lettered jobs, newest first. */
  deadLetters: { job: Job; attempts: number; at: string }[];
}

/** The RPC surface of the `AppJobs` Durable Object, as its stub exposes it. */
export interface AppJobsRpc {
  run(job: Job, enqueuedAt: number): Promise<JobVerdict>;
  recordDeadLetter(job: Job, attempts: number): Promise<void>;
  status(): Promise<AppJobsStatus>;
}

/** The `AppJobs` namespace binding. */
export interface AppJobsNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): AppJobsRpc;
}

/** One message of a queue batch. */
export interface QueueMessage<T> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: T;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A batch delivered to the `queue` handler. */
export interface MessageBatch<T> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<T>[];
}

/** The cron event. */
export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}

/** The third argument of every handler. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  readonly props: unknown;
}

/** The Worker's bindings; vars and secrets are read by `settingsFromEnv`. */
export interface WorkerEnv extends Record<string, unknown> {
  /** Producer binding of the jobs queue. */
  JOBS: QueueBinding<Job>;
  /** One `AppJobs` Durable Object per app (`jobKey`). */
  APP_JOBS: AppJobsNamespace;
  /** The history of runs (D1); without it nothing is recorded and no status page is served. */
  HISTORY?: D1Database;
}
