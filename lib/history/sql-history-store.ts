/**
 * `HistoryStore` over SQL: one implementation for SQLite on Node (`node:sqlite`) and D1 on
 * Workers, both SQLite underneath, so the two runtimes keep the same table and answer the
 * same queries. Each record is a row of indexed columns (what the queries filter and group by)
 * plus the whole record as JSON. The table is created on first use; retention runs after each
 * write and keeps, whatever their age, the latest record of each state the status page reads.
 */

import { DEFAULT_RETENTION, type HistoryRetention } from '../config/history-retention.ts';
import { PlumblineError } from '../errors.ts';
import type { Redacted } from '../report/redacted.ts';
import type { HistoryRecord } from './history-record.ts';
import type { AppHistory, HistoryQuery, HistoryStore, STATE_OF } from './history-store.ts';

/** A value bound to a statement's `?`. */
export type SqlValue = string | number | null;

/** One statement and its parameters. */
export interface SqlStatement {
  sql: string;
  params?: readonly SqlValue[];
}

/** The SQL a runtime gives the store: SQLite's dialect. */
export interface SqlDatabase {
  /** Runs statements in one transaction (all or none). */
  batch(statements: readonly SqlStatement[]): Promise<void>;
  /** The rows of a query. */
  all<Row extends Record<string, unknown>>(statement: SqlStatement): Promise<Row[]>;
}

/** The history cannot be read or written; the message says what to do. */
export class HistoryError extends PlumblineError {
  override readonly name = 'HistoryError';
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('report', message, options);
  }
}

const TABLE = 'plumbline_runs';

const SCHEMA: readonly SqlStatement[] = [
  {
    sql: `CREATE TABLE IF NOT EXISTS ${TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  trigger TEXT NOT NULL,
  repo TEXT NOT NULL,
  app TEXT NOT NULL,
  target TEXT,
  sha TEXT,
  applied_sha TEXT,
  outcome TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  record TEXT NOT NULL
)`,
  },
  { sql: `CREATE INDEX IF NOT EXISTS ${TABLE}_app ON ${TABLE} (repo, app, id)` },
  // Covers the state queries (the newest id per app of each state) without reading records.
  {
    sql: `CREATE INDEX IF NOT EXISTS ${TABLE}_state ON ${TABLE} (repo, app, kind, outcome, applied_sha, id)`,
  },
  { sql: `CREATE INDEX IF NOT EXISTS ${TABLE}_finished ON ${TABLE} (finished_at)` },
];

/** The conditions of `STATE_OF` in SQL (the unit test runs both over the same records). */
export const STATE_SQL: Record<keyof typeof STATE_OF, string> = {
  lastRun: `kind NOT IN ('plan', 'unlock')`,
  lastResult: `kind NOT IN ('plan', 'unlock') AND outcome <> 'skipped'`,
  lastApplied: `kind <> 'plan' AND applied_sha IS NOT NULL`,
  lastCheck: `kind IN ('sweep', 'heal') AND outcome NOT IN ('skipped', 'error')`,
  lastPlan: `kind = 'plan' AND outcome IN ('planned', 'failed')`,
};

const MAX_LIMIT = 500;
const DAY_MS = 86_400_000;

/** Options of `SqlHistoryStore`. */
export interface SqlHistoryStoreOptions {
  retention?: HistoryRetention;
  now?: () => number;
}

/** The history in a SQL database. */
export class SqlHistoryStore implements HistoryStore {
  readonly #db: SqlDatabase;
  readonly #retention: HistoryRetention;
  readonly #now: () => number;
  #ready: Promise<void> | undefined;

  constructor(db: SqlDatabase, options: SqlHistoryStoreOptions = {}) {
    this.#db = db;
    this.#retention = options.retention ?? DEFAULT_RETENTION;
    this.#now = options.now ?? Date.now;
  }

  /** Creates the table once; a failure is retried by the next call. */
  #schema(): Promise<void> {
    this.#ready ??= this.#db.batch(SCHEMA).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async record(records: readonly Redacted<HistoryRecord>[]): Promise<void> {
    if (records.length === 0) return;
    await this.#schema();
    await this.#db.batch(
      records.map((record) => {
        const { id: _id, ...stored } = record;
        return {
          sql: `INSERT INTO ${TABLE} (run_id, kind, trigger, repo, app, target, sha, applied_sha, outcome, finished_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          params: [
            record.runId,
            record.kind,
            record.trigger,
            record.repo,
            record.app,
            record.target ?? null,
            record.commit?.sha ?? null,
            record.appliedSha ?? null,
            record.outcome,
            record.finishedAt,
            JSON.stringify(stored),
          ],
        };
      }),
    );
    const apps = new Map(records.map((r) => [JSON.stringify([r.repo, r.app]), r]));
    await this.#db.batch([...apps.values()].flatMap((r) => this.#retentionOf(r.repo, r.app)));
  }

  /** Statements that remove what the retention no longer keeps, for one app and overall. */
  #retentionOf(repo: string, app: string): SqlStatement[] {
    const statements: SqlStatement[] = [];
    // The newest record of each state of every app stays, whatever its age or rank.
    const kept = Object.values(STATE_SQL)
      .map((condition) => `SELECT MAX(id) FROM ${TABLE} WHERE ${condition} GROUP BY repo, app`)
      .join(' UNION ');
    const { maxAgeDays, maxRunsPerApp } = this.#retention;
    if (maxAgeDays > 0) {
      const cutoff = new Date(this.#now() - maxAgeDays * DAY_MS).toISOString();
      statements.push({
        sql: `DELETE FROM ${TABLE} WHERE finished_at < ? AND id NOT IN (${kept})`,
        params: [cutoff],
      });
    }
    if (maxRunsPerApp > 0) {
      statements.push({
        sql: `DELETE FROM ${TABLE} WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS rank FROM ${TABLE} WHERE repo = ? AND app = ?) WHERE rank > ?) AND id NOT IN (${kept})`,
        params: [repo, app, maxRunsPerApp],
      });
    }
    return statements;
  }

  async list(query: HistoryQuery = {}): Promise<HistoryRecord[]> {
    await this.#schema();
    const where: string[] = [];
    const params: SqlValue[] = [];
    for (const [column, value] of [
      ['repo', query.repo],
      ['app', query.app],
      ['kind', query.kind],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (query.before !== undefined) {
      where.push('id < ?');
      params.push(query.before);
    }
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 50)), MAX_LIMIT);
    const rows = await this.#db.all<{ id: number; record: string }>({
      sql: `SELECT id, record FROM ${TABLE}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      params,
    });
    return rows.map(recordOfRow);
  }

  async get(id: number): Promise<HistoryRecord | undefined> {
    await this.#schema();
    const [row] = await this.#db.all<{ id: number; record: string }>({
      sql: `SELECT id, record FROM ${TABLE} WHERE id = ?`,
      params: [id],
    });
    return row ? recordOfRow(row) : undefined;
  }

  async apps(): Promise<AppHistory[]> {
    await this.#schema();
    const byApp = new Map<string, AppHistory>();
    for (const [state, condition] of Object.entries(STATE_SQL) as [
      keyof typeof STATE_SQL,
      string,
    ][]) {
      const rows = await this.#db.all<{ id: number; record: string }>({
        // The newest id per app first, then only those rows: ranking whole rows (records
        // are JSON of up to a few hundred KiB) is what would cost.
        sql: `SELECT id, record FROM ${TABLE} WHERE id IN (SELECT MAX(id) FROM ${TABLE} WHERE ${condition} GROUP BY repo, app)`,
      });
      for (const row of rows) {
        const record = recordOfRow(row);
        const key = JSON.stringify([record.repo, record.app]);
        const entry = byApp.get(key) ?? { repo: record.repo, app: record.app };
        entry[state] = record;
        byApp.set(key, entry);
      }
    }
    return [...byApp.values()].sort(
      (a, b) => a.repo.localeCompare(b.repo) || a.app.localeCompare(b.app),
    );
  }
}

function recordOfRow(row: { id: number; record: string }): HistoryRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.record);
  } catch (error) {
    throw new HistoryError(`history record ${row.id} is not valid JSON: the database is damaged`, {
      hint: 'Move the history database aside; Plumbline starts a new one.',
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HistoryError(`history record ${row.id} is not a record: the database is damaged`, {
      hint: 'Move the history database aside; Plumbline starts a new one.',
    });
  }
  return { ...(parsed as HistoryRecord), id: Number(row.id) };
}
