/**
 * Job outcomes as run records: the one shape every surface lists (the CLI's lines, the
 * history store, the status page). Outcomes leave their flows redacted, so records are too.
 */
import type { RunRecord } from '../report/outcomes.ts';
import type { Redacted } from '../report/redacted.ts';
import type { DeployOutcome } from './deploy-outcome.ts';
import type { SweepOutcome } from './sweep.ts';

/** The record of a deploy (a push, or a head the sweep found unapplied). */
export function deployRecord(outcome: Redacted<DeployOutcome>): Redacted<RunRecord> {
  const base = { kind: 'deploy' as const, repo: outcome.repo, app: outcome.app };
  if (outcome.status === 'skipped') {
    return {
      ...base,
      status: 'skipped',
      reason: outcome.reason,
      ...(outcome.sha ? { sha: outcome.sha } : {}),
    } as Redacted<RunRecord>;
  }
  return {
    ...base,
    status: outcome.status,
    sha: outcome.sha,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    ...(outcome.changeSet ? { changeSet: outcome.changeSet } : {}),
    ...(outcome.files ? { files: outcome.files } : {}),
  } as Redacted<RunRecord>;
}

/** The record of one app's sweep. */
export function sweepRecord(outcome: Redacted<SweepOutcome>): Redacted<RunRecord> {
  const base = { kind: 'sweep' as const, repo: outcome.repo, app: outcome.app };
  switch (outcome.status) {
    case 'skipped':
      return { ...base, status: 'skipped', reason: outcome.reason } as Redacted<RunRecord>;
    case 'applied': {
      const deploy = deployRecord(outcome.deploy as Redacted<DeployOutcome>);
      return { ...deploy, kind: 'sweep', missedHead: true } as Redacted<RunRecord>;
    }
    default:
      return {
        ...base,
        status: outcome.status,
        ...(outcome.sha ? { sha: outcome.sha } : {}),
        ...(outcome.error ? { failure: { stage: 'render', message: outcome.error } } : {}),
        ...(outcome.finding ? { drift: outcome.finding } : {}),
        ...('filesFinding' in outcome && outcome.filesFinding
          ? { filesDrift: outcome.filesFinding }
          : {}),
        ...(outcome.issue ? { issue: outcome.issue } : {}),
      } as Redacted<RunRecord>;
  }
}
