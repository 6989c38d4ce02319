/**
 * Logs as short lines for a person at a terminal (the embedded default): `12:00:01 reconciled
 * app=site sha=1a2b3c4`. The same fields as the JSON logs, secret-looking ones redacted the
 * same way; objects and lists as compact JSON.
 */
import { type Logger, type LogLevel, redactFields } from '../../lib/ports/logger.ts';

const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logger writing one line per entry through `write`. */
export function textLogger(
  write: (line: string) => void,
  minLevel: LogLevel = 'info',
  now: () => Date = () => new Date(),
): Logger {
  return {
    log(level, message, fields = {}) {
      if (ORDER.indexOf(level) < ORDER.indexOf(minLevel)) return;
      const parts = Object.entries(redactFields(fields))
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => {
          const text =
            typeof value === 'string'
              ? value
              : Array.isArray(value) && value.every((item) => typeof item === 'string')
                ? `[${value.join(', ')}]`
                : JSON.stringify(value);
          const short = key === 'sha' && typeof value === 'string' ? value.slice(0, 7) : text;
          const quoted = typeof value === 'string' && /\s/.test(short);
          return `${key}=${quoted ? JSON.stringify(short) : short}`;
        });
      const time = now().toTimeString().slice(0, 8);
      const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
      write(`${time} ${tag}${message}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}\n`);
    },
  };
}
