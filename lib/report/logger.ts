/**
 * Logs as an output surface: a job's logger passes every message and field through the job's
 * redactor before any sink sees it, on top of the sink's own redaction of secret-looking
 * field names.
 */
import type { Logger } from '../ports/logger.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';

/** `logger`, with messages and fields redacted by `redactor`. */
export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  return {
    log(level, message, fields) {
      logger.log(level, redactor.text(message), fields && redactor.data(fields));
    },
  };
}
