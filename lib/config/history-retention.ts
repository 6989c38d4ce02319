/**
 * How long the history store keeps run records: an operator's setting (runtime settings
 * `history:`), read by both history stores.
 */

/** How long records are kept. */
export interface HistoryRetention {
  /** Records older than this many days are removed (0: no age limit). */
  maxAgeDays: number;
  /** Each app keeps at most this many records (0: no count limit). */
  maxRunsPerApp: number;
}

/** Defaults: 90 days, 1,000 runs per app. */
export const DEFAULT_RETENTION: HistoryRetention = { maxAgeDays: 90, maxRunsPerApp: 1_000 };
