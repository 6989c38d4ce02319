/**
 * Recording around the job runner: every run of a job (a flow outcome, or what it threw)
 * becomes history records, with the commit's author and title from the Git host. Recording
 * never changes what the run did or reports: a history that cannot be written is logged once
 * per problem, its records are kept in memory (bounded) and written once it works again, and
 * the status page says so.
 */
import { messageOf, PlumblineError } from '../errors.ts';
import type { FlowOutcome } from '../flows/run-flow.ts';
import type { Job } from '../jobs/job.ts';
import type { GitSource } from '../ports/git-source.ts';
import type { Logger } from '../ports/logger.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import type { Redacted } from '../report/redacted.ts';
import type { HistoryRecord, RunCommit } from './history-record.ts';
import {
  type AppHistory,
  foldAppHistory,
  type HistoryQuery,
  type HistoryStore,
} from './history-store.ts';
import { historyRecordOfError, historyRecordsOf, type RunContext } from './records-of-run.ts';

/** What is wrong with the history, as the status page and the log say it. */
export interface HistoryProblem {
  message: string;
  hint?: string;
  /** ISO time it was first seen. */
  since: string;
  /** Records waiting in memory to be written. */
  pending: number;
}

/** Records kept in memory while the store cannot be written, at most. */
export const MAX_PENDING_RECORDS = 1_000;

/**
 * A `HistoryStore` that never fails a writer: records that cannot be written wait in memory
 * (the oldest dropped past `MAX_PENDING_RECORDS`, counted), and reads include them. Reads that
 * fail answer from memory alone; `problem()` says what is wrong.
 */
export class ResilientHistory implements HistoryStore {
  readonly #store: HistoryStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  #pending: Redacted<HistoryRecord>[] = [];
  #dropped = 0;
  #problem: HistoryProblem | undefined;
  #nextTemporaryId = -1;

  constructor(store: HistoryStore, logger: Logger, now: () => number = Date.now) {
    this.#store = store;
    this.#logger = logger;
    this.#now = now;
  }

  /** What is wrong, or undefined while the store works. */
  problem(): HistoryProblem | undefined {
    return this.#problem ? { ...this.#problem, pending: this.#pending.length } : undefined;
  }

  #failed(error: unknown, doing: string): void {
    const message = messageOf(error);
    const hint = error instanceof PlumblineError ? error.hint : undefined;
    // One log line per distinct problem, not one per run while it lasts.
    if (this.#problem?.message !== message) {
      this.#logger.log('error', `history: cannot ${doing}`, {
        error: message,
        ...(hint ? { hint } : {}),
        pending: this.#pending.length,
      });
      this.#problem = {
        message,
        ...(hint ? { hint } : {}),
        since: new Date(this.#now()).toISOString(),
        pending: this.#pending.length,
      };
    }
  }

  #recovered(): void {
    if (!this.#problem) return;
    this.#logger.log('info', 'history: writable again', {
      written: this.#pending.length,
      ...(this.#dropped > 0 ? { dropped: this.#dropped } : {}),
    });
    this.#problem = undefined;
    this.#dropped = 0;
  }

  async record(records: readonly Redacted<HistoryRecord>[]): Promise<void> {
    const batch = [...this.#pending, ...records];
    if (batch.length === 0) return;
    try {
      await this.#store.record(
        batch.map(({ id: _id, ...record }) => record as Redacted<HistoryRecord>),
      );
      this.#pending = [];
      this.#recovered();
    } catch (error) {
      const waiting = batch.map(
        (record) =>
          ({ ...record, id: record.id ?? this.#nextTemporaryId-- }) as Redacted<HistoryRecord>,
      );
      this.#dropped += Math.max(0, waiting.length - MAX_PENDING_RECORDS);
      this.#pending = waiting.slice(-MAX_PENDING_RECORDS);
      this.#failed(error, 'write runs');
    }
  }

  #pendingMatching(query: HistoryQuery): HistoryRecord[] {
    return this.#pending
      .filter(
        (r) =>
          (query.repo === undefined || r.repo === query.repo) &&
          (query.app === undefined || r.app === query.app) &&
          (query.kind === undefined || r.kind === query.kind),
      )
      .reverse();
  }

  async list(query: HistoryQuery = {}): Promise<HistoryRecord[]> {
    const waiting = query.before === undefined ? this.#pendingMatching(query) : [];
    try {
      const stored = await this.#store.list(query);
      return [...waiting, ...stored].slice(0, query.limit ?? 50);
    } catch (error) {
      this.#failed(error, 'read runs');
      return waiting.slice(0, query.limit ?? 50);
    }
  }

  async get(id: number): Promise<HistoryRecord | undefined> {
    if (id < 0) return this.#pending.find((r) => r.id === id);
    try {
      return await this.#store.get(id);
    } catch (error) {
      this.#failed(error, 'read a run');
      return undefined;
    }
  }

  async apps(): Promise<AppHistory[]> {
    let known: AppHistory[] = [];
    try {
      known = await this.#store.apps();
    } catch (error) {
      this.#failed(error, 'read the apps');
    }
    return this.#pending.length === 0 ? known : foldAppHistory(known, this.#pending);
  }
}

/** What `RunRecorder` needs from the runtime. */
export interface RunRecorderDeps {
  history: HistoryStore;
  logger: Logger;
  /**
   * Where a repository is read (GitHub, or a Git source read with git): its `commitInfo` gives
   * the commit's author and title.
   */
  sourceFor?: (repo: RegisteredRepo) => Pick<GitSource, 'commitInfo'>;
  lookupRepo?: (fullName: string) => RegisteredRepo | undefined;
  now?: () => number;
}

const COMMITS_REMEMBERED = 500;

/** Records runs: wraps a job runner so every outcome and every throw lands in the history. */
export class RunRecorder {
  readonly #deps: RunRecorderDeps;
  readonly #now: () => number;
  /** Commits already looked up (they never change), newest last. */
  readonly #commits = new Map<string, RunCommit>();
  #runs = 0;

  constructor(deps: RunRecorderDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Runs `job` through `run`, records how it ended, and returns (or rethrows) that. */
  async run<O extends FlowOutcome | undefined>(
    job: Job,
    run: () => Promise<O>,
    context: Pick<RunContext, 'trigger'> = {},
  ): Promise<O> {
    const startedAt = this.#now();
    this.#runs += 1;
    const runId = `${job.deliveryId || 'run'}/${startedAt.toString(36)}-${this.#runs}`;
    try {
      const outcome = await run();
      // A runner that reports no outcome (a test double) leaves nothing to record.
      if (!outcome) return outcome;
      await this.#record(job, () =>
        historyRecordsOf(job, outcome, { ...context, runId, startedAt, finishedAt: this.#now() }),
      );
      return outcome;
    } catch (error) {
      await this.#record(job, () => [
        historyRecordOfError(job, error, { ...context, runId, startedAt, finishedAt: this.#now() }),
      ]);
      throw error;
    }
  }

  /** Stores records built elsewhere (a CLI apply), with their commits' details. */
  async record(records: Redacted<HistoryRecord>[]): Promise<void> {
    await this.#record(undefined, () => records);
  }

  async #record(job: Job | undefined, build: () => Redacted<HistoryRecord>[]): Promise<void> {
    let records: Redacted<HistoryRecord>[];
    try {
      records = build();
      for (const record of records) {
        if (record.commit) record.commit = await this.#commit(record.repo, record.commit);
      }
    } catch (error) {
      // A record that cannot be built is a bug here, never a reason to fail the run.
      this.#deps.logger.log('error', 'history: cannot build the run record', {
        ...(job ? { repo: job.repo } : {}),
        error: messageOf(error),
      });
      return;
    }
    try {
      await this.#deps.history.record(records);
    } catch (error) {
      this.#deps.logger.log('error', 'history: cannot write runs', { error: messageOf(error) });
    }
  }

  /** The commit with its author, title and page, looked up once per sha (best effort). */
  async #commit(repoName: string, commit: RunCommit): Promise<RunCommit> {
    const key = `${repoName}@${commit.sha}`;
    const known = this.#commits.get(key);
    if (known) return known;
    const repo = this.#deps.lookupRepo?.(repoName);
    const host = repo ? this.#deps.sourceFor?.(repo) : undefined;
    if (!repo || !host?.commitInfo) return commit;
    try {
      const info = await host.commitInfo(repo.ref, commit.sha);
      const found: RunCommit = {
        sha: commit.sha,
        ...(info.author ? { author: info.author.slice(0, 200) } : {}),
        ...(info.title ? { title: info.title.slice(0, 500) } : {}),
        ...(info.url && /^https?:\/\//.test(info.url) ? { url: info.url } : {}),
      };
      this.#commits.set(key, found);
      if (this.#commits.size > COMMITS_REMEMBERED) {
        const oldest = this.#commits.keys().next().value;
        if (oldest !== undefined) this.#commits.delete(oldest);
      }
      return found;
    } catch (error) {
      this.#deps.logger.log('warn', 'history: cannot read the commit', {
        repo: repoName,
        sha: commit.sha,
        error: messageOf(error),
      });
      return commit;
    }
  }
}
