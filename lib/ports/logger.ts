/**
 * `Logger`: structured logs (level, message, fields). Callers pass names, ids and counts,
 * never secret values; as a second line of defence, fields whose name looks like a secret are
 * redacted before they reach any sink.
 */

/** Severity of a log entry. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured data attached to a log entry. */
export type LogFields = Record<string, unknown>;

/** One structured log entry. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Writes structured log entries. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const SECRET_FIELD = /secret|token|password|passphrase|authorization|private.?key|signature/i;

/** `fields` with the values of secret-looking keys replaced, recursively. */
export function redactFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key)) out[key] = '[redacted]';
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = redactFields(value as LogFields);
    } else out[key] = value;
  }
  return out;
}

/** A logger that keeps entries in memory: for tests. */
export class MemoryLogger implements Logger {
  /** Every entry logged, redacted, in order. */
  readonly entries: LogEntry[] = [];

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.entries.push({ level, message, fields: redactFields(fields) });
  }

  /** Entries whose message contains `text`. */
  find(text: string): LogEntry[] {
    return this.entries.filter((entry) => entry.message.includes(text));
  }
}

/** A logger writing one JSON object per line through `write` (stdout on Node, console on Workers). */
export function jsonLogger(
  write: (line: string) => void,
  clock: { now(): Date } = { now: () => new Date() },
  minLevel: LogLevel = 'info',
): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, message, fields = {}) {
      if (order.indexOf(level) < order.indexOf(minLevel)) return;
      const entry = { time: clock.now().toISOString(), level, message, ...redactFields(fields) };
      write(`${JSON.stringify(entry)}\n`);
    },
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { log() {} };
