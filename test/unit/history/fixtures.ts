/** Run records for history tests. */
import type { HistoryRecord } from '../../../lib/history/history-record.ts';
import { type Redacted, redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';

let clock = Date.parse('2026-01-01T00:00:00Z');

/** A record of `app`, finished one second after the previous one made here (nothing to redact). */
export function runRecord(overrides: Partial<HistoryRecord> = {}): Redacted<HistoryRecord> {
  clock += 1_000;
  const finished = overrides.finishedAt ? Date.parse(overrides.finishedAt) : clock;
  return redacted<HistoryRecord>(
    {
      runId: `run-${clock}`,
      kind: 'deploy',
      trigger: 'push',
      repo: 'acme/deploy',
      app: 'web',
      target: 'staging',
      commit: { sha: 'a'.repeat(40) },
      outcome: 'applied',
      appliedSha: 'a'.repeat(40),
      counts: { configured: 1, unchanged: 3 },
      changes: [{ subject: 'Deployment.apps web/web', action: 'configured' }],
      startedAt: new Date(finished - 500).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: 500,
      ...overrides,
    },
    noSecrets,
  );
}
