/**
 * The history store on Node: SQLite through Node's built-in `node:sqlite`, in a file of the
 * data directory (`history.sqlite`). The file is opened on first use, in WAL mode so that
 * `plumbline serve` and a CLI `apply --record` can write it at once, and waits up to two
 * seconds for a lock. SQLite's failures become `HistoryError`s that say what is wrong with
 * which file and what to do: locked, damaged, not writable, disk full.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { HistoryRetention } from '../../lib/config/history-retention.ts';
import {
  HistoryError,
  type SqlDatabase,
  SqlHistoryStore,
  type SqlStatement,
} from '../../lib/history/sql-history-store.ts';

/** The history database's file name in the data directory. */
export const HISTORY_FILE = 'history.sqlite';

/** The history database of a data directory. */
export function historyPath(dataDir: string): string {
  return join(dataDir, HISTORY_FILE);
}

/** SQLite's primary result codes that have their own message. */
const SQLITE = {
  BUSY: 5,
  LOCKED: 6,
  READONLY: 8,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  NOTADB: 26,
};

/** A `HistoryError` for what SQLite said about `path`. */
export function historyErrorOf(path: string, error: unknown): HistoryError {
  if (error instanceof HistoryError) return error;
  const code = (error as { errcode?: unknown }).errcode;
  const primary = typeof code === 'number' ? code & 0xff : undefined;
  const said = error instanceof Error ? error.message : String(error);
  switch (primary) {
    case SQLITE.BUSY:
    case SQLITE.LOCKED:
      return new HistoryError(
        `history database ${path}: locked by another process for more than 2 s (${said})`,
        {
          hint: 'Another program holds a write lock on it (an open sqlite3 shell, a backup); close it. Runs are kept in memory until the database can be written again.',
          cause: error,
        },
      );
    case SQLITE.CORRUPT:
    case SQLITE.NOTADB:
      return new HistoryError(
        `history database ${path}: damaged or not a SQLite database (${said})`,
        {
          hint: `Move ${path} aside (Plumbline then starts a new history) or repair it with sqlite3's .recover. Runs are kept in memory meanwhile.`,
          cause: error,
        },
      );
    case SQLITE.READONLY:
    case SQLITE.CANTOPEN:
      return new HistoryError(`history database ${path}: cannot be opened for writing (${said})`, {
        hint: 'Make the data directory writable by the user Plumbline runs as, or set dataDir (PLUMBLINE_DATA_DIR) to one that is.',
        cause: error,
      });
    case SQLITE.FULL:
    case SQLITE.IOERR:
      return new HistoryError(`history database ${path}: the disk refused the write (${said})`, {
        hint: 'Free disk space, or lower the history retention (history.maxAgeDays, history.maxRunsPerApp).',
        cause: error,
      });
    default:
      return new HistoryError(`history database ${path}: ${said}`, { cause: error });
  }
}

/** `node:sqlite` as the store's `SqlDatabase`, opened on first use. */
export class NodeSqliteDatabase implements SqlDatabase {
  readonly path: string;
  #db: DatabaseSync | undefined;

  constructor(path: string) {
    this.path = path;
  }

  #open(): DatabaseSync {
    if (this.#db) return this.#db;
    try {
      const dir = dirname(this.path);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const fresh = !existsSync(this.path);
      const db = new DatabaseSync(this.path, { timeout: 2_000 });
      try {
        if (fresh) chmodSync(this.path, 0o600);
        db.exec('PRAGMA journal_mode = WAL');
      } catch (error) {
        db.close();
        throw error;
      }
      this.#db = db;
      return db;
    } catch (error) {
      throw historyErrorOf(this.path, error);
    }
  }

  async batch(statements: readonly SqlStatement[]): Promise<void> {
    const db = this.#open();
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const { sql, params = [] } of statements) db.prepare(sql).run(...params);
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      throw historyErrorOf(this.path, error);
    }
  }

  async all<Row extends Record<string, unknown>>(statement: SqlStatement): Promise<Row[]> {
    const db = this.#open();
    try {
      return db.prepare(statement.sql).all(...(statement.params ?? [])) as Row[];
    } catch (error) {
      throw historyErrorOf(this.path, error);
    }
  }

  /** Closes the file (the next call opens it again). */
  close(): void {
    this.#db?.close();
    this.#db = undefined;
  }
}

/** The history store in `path` (SQLite). */
export function sqliteHistory(
  path: string,
  options: { retention?: HistoryRetention; now?: () => number } = {},
): { store: SqlHistoryStore; database: NodeSqliteDatabase } {
  const database = new NodeSqliteDatabase(path);
  return { store: new SqlHistoryStore(database, options), database };
}
