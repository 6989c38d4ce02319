/**
 * `--record`: a CLI run written to the history the status page shows (SQLite in the data
 * directory). A history that cannot be written is said on stderr, never fatal: the run itself
 * already happened.
 */
import { messageOf } from '../../lib/errors.ts';
import type { HistoryRecord } from '../../lib/history/history-record.ts';
import type { Redacted } from '../../lib/report/redacted.ts';
import { dataDirectory } from '../node/data-dir.ts';
import { historyPath, sqliteHistory } from '../node/sqlite-history.ts';
import type { CliIo } from './command.ts';

/** Writes `run` to the history; `command` names the sub-command in the message. */
export async function recordRun(
  io: CliIo,
  command: string,
  run: Redacted<HistoryRecord>,
): Promise<void> {
  let opened: ReturnType<typeof sqliteHistory> | undefined;
  try {
    opened = sqliteHistory(historyPath(dataDirectory(process.env)));
    await opened.store.record([run]);
  } catch (error) {
    io.stderr(`plumbline ${command}: the run is not recorded: ${messageOf(error)}\n`);
  } finally {
    opened?.database.close();
  }
}
