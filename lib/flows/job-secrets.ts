/**
 * A job's secrets scope: one secret ledger per job, fed by the job's decryptor and applied to
 * everything the job outputs. The flows run inside it; their logger redacts, their reports
 * redact, their outcome leaves redacted, and an error they throw (for the queue to log and
 * retry) has its message, hint and stack redacted on the way out.
 */
import type { AppConfig } from '../config/repo-config.ts';
import type { FileDecryptor } from '../core/decryptor.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { redactingLogger } from '../report/logger.ts';
import { type Redacted, redacted } from '../report/redacted.ts';
import { redactError, SecretLedger } from '../secrets/secret-ledger.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';
import type { FlowDeps } from './flow-deps.ts';

/** The flow dependencies of one job: its ledger, and a decryptor and logger bound to it. */
export interface JobDeps extends FlowDeps {
  ledger: SecretLedger;
  decryptorFor: (repo: RegisteredRepo, app: AppConfig) => FileDecryptor;
}

/** `deps` scoped to one job: a fresh ledger, a recording decryptor, a redacting logger. */
export function jobScope(deps: FlowDeps): JobDeps {
  if ('ledger' in deps && deps.ledger instanceof SecretLedger) return deps as JobDeps;
  const ledger = new SecretLedger();
  return {
    ...deps,
    ledger,
    logger: redactingLogger(deps.logger, ledger),
    decryptorFor: (repo, app) =>
      ledger.watch(deps.decryptorFor?.(repo, app) ?? createSopsDecryptor()),
  };
}

/** Runs a flow in a job scope: its outcome comes back redacted, its errors too. */
export async function inJobScope<T>(
  deps: FlowDeps,
  run: (deps: JobDeps) => Promise<T>,
): Promise<Redacted<T>> {
  const scoped = jobScope(deps);
  try {
    return redacted(await run(scoped), scoped.ledger);
  } catch (error) {
    throw redactError(error, scoped.ledger);
  }
}
