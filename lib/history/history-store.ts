/**
 * The `HistoryStore` port: where run records are kept (SQLite through `node:sqlite` on Node,
 * D1 on Workers; both speak SQL to `SqlHistoryStore`). Reads serve the status page and its
 * API; writes happen once per run, after the run, and never decide what a run does.
 */
import type { Redacted } from '../report/redacted.ts';
import type { HistoryRecord, RunKind } from './history-record.ts';

/** Which records to list, newest first. */
export interface HistoryQuery {
  repo?: string;
  app?: string;
  kind?: RunKind;
  /** Only records older than this id (paging: the last id of the previous page). */
  before?: number;
  /** At most this many (default 50, at most 500). */
  limit?: number;
}

/**
 * What the history knows about one app (of one repository): its last run, and the last run
 * of each kind of state the status page shows (applied commit, drift check, plan).
 */
export interface AppHistory {
  repo: string;
  app: string;
  /** The last run of any kind but a pull request plan or an unlock. */
  lastRun?: HistoryRecord;
  /** The last such run that did something or failed (not skipped): what the app's state is. */
  lastResult?: HistoryRecord;
  /** The last run that left the target at a known commit (a deploy, a heal, an in-sync sweep). */
  lastApplied?: HistoryRecord;
  /** The last run that compared the target with Git (a sweep or a heal). */
  lastCheck?: HistoryRecord;
  /** The last pull request plan of the app that got as far as planning or failing. */
  lastPlan?: HistoryRecord;
}

/** Keeps and lists run records. */
export interface HistoryStore {
  /**
   * Stores the records of one run (all or none), then applies the retention. Only redacted
   * records are accepted: the history is an output surface like any other.
   */
  record(records: readonly Redacted<HistoryRecord>[]): Promise<void>;
  /** Records matching `query`, newest first. */
  list(query?: HistoryQuery): Promise<HistoryRecord[]>;
  /** One record by id. */
  get(id: number): Promise<HistoryRecord | undefined>;
  /** Every app the history knows, with its latest states. */
  apps(): Promise<AppHistory[]>;
}

/**
 * The kinds of state the status page reads, as predicates over a record. `SqlHistoryStore`
 * states the same conditions in SQL; a unit test checks that both agree.
 */
export const STATE_OF: Record<
  Exclude<keyof AppHistory, 'repo' | 'app'>,
  (record: HistoryRecord) => boolean
> = {
  lastRun: (record) => record.kind !== 'plan' && record.kind !== 'unlock',
  lastResult: (record) =>
    record.kind !== 'plan' && record.kind !== 'unlock' && record.outcome !== 'skipped',
  lastApplied: (record) => record.kind !== 'plan' && record.appliedSha !== undefined,
  lastCheck: (record) =>
    (record.kind === 'sweep' || record.kind === 'heal') &&
    record.outcome !== 'skipped' &&
    record.outcome !== 'error',
  lastPlan: (record) =>
    record.kind === 'plan' && (record.outcome === 'planned' || record.outcome === 'failed'),
};

/** Folds records (any order) into the latest states per app, keeping the newest of each. */
export function foldAppHistory(
  known: readonly AppHistory[],
  records: readonly HistoryRecord[],
): AppHistory[] {
  const byApp = new Map<string, AppHistory>();
  const keyOf = (repo: string, app: string) => JSON.stringify([repo, app]);
  for (const entry of known) byApp.set(keyOf(entry.repo, entry.app), { ...entry });
  const newer = (a: HistoryRecord | undefined, b: HistoryRecord) =>
    a === undefined ||
    a.finishedAt < b.finishedAt ||
    (a.finishedAt === b.finishedAt && (a.id ?? 0) < (b.id ?? 0));
  for (const record of records) {
    const key = keyOf(record.repo, record.app);
    const entry = byApp.get(key) ?? { repo: record.repo, app: record.app };
    for (const [state, holds] of Object.entries(STATE_OF) as [
      keyof typeof STATE_OF,
      (r: HistoryRecord) => boolean,
    ][]) {
      if (holds(record) && newer(entry[state], record)) entry[state] = record;
    }
    byApp.set(key, entry);
  }
  return [...byApp.values()].sort(
    (a, b) => a.repo.localeCompare(b.repo) || a.app.localeCompare(b.app),
  );
}
