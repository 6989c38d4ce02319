/**
 * The history store on Workers: D1 (SQLite at Cloudflare), bound as `HISTORY` in
 * `wrangler.toml`, behind the same `SqlHistoryStore` the Node runtime runs over `node:sqlite`.
 * A batch is one D1 transaction. D1's failures become `HistoryError`s saying what to do.
 */
import {
  HistoryError,
  type SqlDatabase,
  type SqlStatement,
} from '../../lib/history/sql-history-store.ts';

/** The parts of a D1 binding the store uses (described structurally, as `worker-env.ts` does). */
export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  batch(statements: D1PreparedStatement[]): Promise<unknown[]>;
}

/** A D1 statement. */
export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T>(): Promise<{ results: T[] }>;
}

function historyErrorOf(error: unknown): HistoryError {
  const said = error instanceof Error ? error.message : String(error);
  return new HistoryError(`history (D1 binding HISTORY): ${said}`, {
    hint: 'Check the D1 database bound as HISTORY in wrangler.toml (wrangler d1 info); runs are kept in memory until it answers again.',
    cause: error,
  });
}

/** D1 as the store's `SqlDatabase`. */
export function d1Database(db: D1Database): SqlDatabase {
  const statementOf = ({ sql, params = [] }: SqlStatement) => db.prepare(sql).bind(...params);
  return {
    async batch(statements) {
      try {
        await db.batch(statements.map(statementOf));
      } catch (error) {
        throw historyErrorOf(error);
      }
    },
    async all<Row extends Record<string, unknown>>(statement: SqlStatement) {
      try {
        return (await statementOf(statement).all<Row>()).results;
      } catch (error) {
        throw historyErrorOf(error);
      }
    },
  };
}
