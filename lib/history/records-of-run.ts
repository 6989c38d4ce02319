/**
 * The one conversion from what a run ended with (a flow outcome, a thrown error, a CLI
 * `ChangeSet`) to history records. Everything the history knows about outcomes is here, so a
 * change to the outcome types is adapted in this file alone.
 *
 * Outcomes arrive masked: plans and drift carry masked diffs, and no outcome holds rendered
 * objects. Records take only names, counts, masked diffs and messages from them, each bounded.
 */
import type { ChangeSet } from '../apply/apply.ts';
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import { describeRef } from '../core/object.ts';
import type { DriftReport } from '../drift/drift.ts';
import type { DeployOutcome } from '../flows/deploy-outcome.ts';
import { failureOf } from '../flows/flow-failure.ts';
import type { AppPlanResult, PlanJobOutcome } from '../flows/plan-pull-request.ts';
import { POLL_DELIVERY_PREFIX } from '../flows/poll-git-source.ts';
import type { FlowOutcome } from '../flows/run-flow.ts';
import type { SweepOutcome } from '../flows/sweep.ts';
import type { FilesChangeSet } from '../hosts/files-deploy.ts';
import type { FilesPlan } from '../hosts/files-plan.ts';
import type { FilesDriftFinding } from '../hosts/render-files.ts';
import type { Job } from '../jobs/job.ts';
import { isTransient } from '../jobs/transient.ts';
import type { Plan } from '../plan/plan.ts';
import type { Redacted } from '../report/redacted.ts';
import {
  type HistoryRecord,
  MAX_DIFF_CHARS,
  MAX_LISTED_CHANGES,
  MAX_TEXT_CHARS,
  type RunChange,
  type RunDriftField,
  type RunFailure,
  type RunHealth,
  type RunTrigger,
} from './history-record.ts';

/** What the runtime knows about a run besides its outcome. */
export interface RunContext {
  /** Names the run (the job's delivery and start time, say). */
  runId: string;
  /** Overrides the trigger read from the job (a Git poller's reconcile jobs, say). */
  trigger?: RunTrigger;
  startedAt: number;
  finishedAt: number;
}

/** What started a job, read from the job itself. */
export function triggerOf(job: Job): RunTrigger {
  switch (job.kind) {
    case 'plan':
      return 'pull_request';
    case 'sweep':
      return 'sweep';
    case 'reconcile':
      if (job.deliveryId.startsWith('sweep-')) return 'sweep';
      // A Git source's poller found the commit (no webhook pushed it).
      return job.deliveryId.startsWith(POLL_DELIVERY_PREFIX) ? 'poll' : 'push';
  }
}

/** `text` cut to `max` characters, saying so. */
function bounded(text: string, max = MAX_TEXT_CHARS): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function boundedFailure(failure: RunFailure): RunFailure {
  return {
    ...failure,
    message: bounded(failure.message),
    ...(failure.hint === undefined ? {} : { hint: bounded(failure.hint) }),
  };
}

/** The common part of every record of one run. */
function baseOf(job: Job, run: RunContext) {
  return {
    runId: run.runId,
    trigger: run.trigger ?? triggerOf(job),
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: new Date(run.finishedAt).toISOString(),
    durationMs: Math.max(0, run.finishedAt - run.startedAt),
  };
}

/** Changes listed up to the bound, and how many were left out. */
function listed(changes: RunChange[]): Pick<HistoryRecord, 'changes' | 'changesOmitted'> {
  if (changes.length <= MAX_LISTED_CHANGES) return { changes };
  return {
    changes: changes.slice(0, MAX_LISTED_CHANGES),
    changesOmitted: changes.length - MAX_LISTED_CHANGES,
  };
}

function countsOf(actions: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const action of actions) counts[action] = (counts[action] ?? 0) + 1;
  return counts;
}

/** The worst rollout health a change set measured (none measured: undefined). */
function healthOf(changeSet: ChangeSet): RunHealth | undefined {
  const states = changeSet.entries.flatMap((entry) => (entry.health ? [entry.health.state] : []));
  if (states.length === 0) return undefined;
  if (states.includes('failed')) return 'degraded';
  if (states.includes('progressing')) return 'progressing';
  return 'healthy';
}

/** What a change set did, as counts and the list of objects that changed or failed. */
function changeSetPart(changeSet: ChangeSet) {
  const health = healthOf(changeSet);
  return {
    counts: countsOf(changeSet.entries.map((entry) => entry.action)),
    ...listed(
      changeSet.entries
        .filter((entry) => entry.action !== 'unchanged')
        .map((entry) => ({
          subject: describeRef(entry.ref),
          action: entry.action,
          ...(entry.error || entry.reason
            ? { error: bounded(entry.error?.message ?? entry.reason ?? '') }
            : {}),
        })),
    ),
    ...(health ? { health } : {}),
  };
}

/** What a `files` app's deploy did on its host: counts and the files that changed. */
function filesChangeSetPart(changeSet: FilesChangeSet) {
  return {
    counts: countsOf(changeSet.entries.map((entry) => entry.action)),
    ...listed(
      changeSet.entries
        .filter((entry) => entry.action !== 'unchanged')
        .map((entry) => ({ subject: entry.path, action: entry.action })),
    ),
  };
}

/** A plan's diff: each changed object's masked diff under a header, bounded. */
function planDiff(plan: Plan): string | undefined {
  const parts = plan.entries
    .filter((entry) => entry.diff !== '')
    .map((entry) => `# ${entry.action} ${describeRef(entry.ref)}\n${entry.diff.trimEnd()}\n`);
  return parts.length === 0 ? undefined : bounded(parts.join(''), MAX_DIFF_CHARS);
}

/** The record of one deploy outcome (a push, or a head the sweep found unapplied). */
function deployRecord(
  outcome: DeployOutcome,
  base: ReturnType<typeof baseOf>,
  target: string | undefined,
): HistoryRecord {
  const where = {
    repo: outcome.repo,
    app: outcome.app,
    ...(target ? { target } : {}),
  };
  if (outcome.status === 'skipped') {
    return {
      ...base,
      kind: 'deploy',
      ...where,
      ...(outcome.sha ? { commit: { sha: outcome.sha } } : {}),
      outcome: 'skipped',
      reason: bounded(outcome.reason),
      counts: {},
      changes: [],
    };
  }
  const changes = outcome.changeSet
    ? changeSetPart(outcome.changeSet)
    : outcome.files
      ? filesChangeSetPart(outcome.files)
      : { counts: {}, changes: [] };
  const errors = outcome.changeSet
    ? outcome.changeSet.errors.map((error) => error.message)
    : (outcome.files?.errors ?? []);
  const failure =
    outcome.failure ??
    (outcome.status === 'failed' && (outcome.changeSet || outcome.files)
      ? { stage: 'apply', message: errors.join('; ') || 'apply did not complete' }
      : undefined);
  return {
    ...base,
    kind: 'deploy',
    ...where,
    commit: { sha: outcome.sha },
    ...(outcome.status === 'applied' ? { appliedSha: outcome.sha } : {}),
    outcome: outcome.status,
    ...changes,
    ...(failure ? { failure: boundedFailure(failure) } : {}),
  };
}

/** One record per app of a pull request plan. */
function planRecords(
  job: Extract<Job, { kind: 'plan' }>,
  outcome: PlanJobOutcome,
  base: ReturnType<typeof baseOf>,
): HistoryRecord[] {
  const where = { kind: 'plan' as const, repo: job.repo, pullRequest: job.number };
  if (outcome.status !== 'planned') {
    return [
      {
        ...base,
        ...where,
        app: REPO_CONFIG_FILE,
        outcome: outcome.status === 'not-planned' ? 'not-planned' : 'skipped',
        reason: bounded(outcome.reason),
        counts: {},
        changes: [],
      },
    ];
  }
  const commit = { sha: outcome.plan.headSha };
  return outcome.plan.apps
    .filter((result) => !(result.kind === 'unaffected' && result.app === REPO_CONFIG_FILE))
    .map((result) => planAppRecord(result, { ...base, ...where, app: result.app, commit }));
}

/** The record of one app of a pull request plan. */
function planAppRecord(
  result: AppPlanResult,
  app: Omit<HistoryRecord, 'outcome' | 'counts' | 'changes'>,
): HistoryRecord {
  if (result.kind === 'unaffected') {
    return { ...app, outcome: 'skipped', reason: bounded(result.reason), counts: {}, changes: [] };
  }
  if (result.kind === 'failed') {
    return {
      ...app,
      outcome: 'failed',
      failure: boundedFailure(result.failure),
      counts: {},
      changes: [],
    };
  }
  if (result.kind === 'planned-files') return filesPlanRecord(result.plan, result.target, app);
  const { plan } = result;
  const diff = planDiff(plan);
  const errors = plan.entries.filter((entry) => entry.error);
  return {
    ...app,
    target: result.target,
    outcome: plan.summary.errors > 0 ? 'failed' : 'planned',
    counts: { ...plan.summary },
    ...listed(
      plan.entries
        .filter((entry) => entry.action !== 'unchanged' || entry.error)
        .map((entry) => ({
          subject: describeRef(entry.ref),
          action: entry.action,
          ...(entry.error ? { error: bounded(entry.error) } : {}),
        })),
    ),
    ...(errors.length > 0
      ? {
          failure: boundedFailure({
            stage: 'plan',
            message: errors.map((entry) => `${describeRef(entry.ref)}: ${entry.error}`).join('; '),
          }),
        }
      : {}),
    ...(diff ? { diff } : {}),
  };
}

/** The record of a `files` app's plan: each file that would change, its masked diff. */
function filesPlanRecord(
  plan: FilesPlan,
  target: string,
  app: Omit<HistoryRecord, 'outcome' | 'counts' | 'changes'>,
): HistoryRecord {
  const changed = plan.entries.filter((entry) => entry.action !== 'unchanged' || entry.error);
  const errors = plan.entries.filter((entry) => entry.error);
  const diff = changed
    .filter((entry) => entry.diff)
    .map((entry) => `# ${entry.path}\n${entry.diff}`)
    .join('\n');
  return {
    ...app,
    target,
    outcome: plan.summary.errors > 0 ? 'failed' : 'planned',
    counts: { ...plan.summary },
    ...listed(
      changed.map((entry) => ({
        subject: entry.path,
        action: entry.action,
        ...(entry.error ? { error: bounded(entry.error) } : {}),
      })),
    ),
    ...(errors.length > 0
      ? {
          failure: boundedFailure({
            stage: 'plan',
            message: errors.map((entry) => `${entry.path}: ${entry.error}`).join('; '),
          }),
        }
      : {}),
    ...(diff ? { diff: bounded(diff, MAX_DIFF_CHARS) } : {}),
  };
}

/** Drifted fields and who changed them; missing and extra objects as changes. */
function driftPart(report: DriftReport) {
  const drift: RunDriftField[] = report.drifted.flatMap((object) =>
    object.fields.map((field) => ({
      subject: describeRef(object.ref),
      field: field.path,
      changedBy: [...field.managers],
    })),
  );
  const changes: RunChange[] = [
    ...report.drifted.map((object) => ({ subject: describeRef(object.ref), action: 'drifted' })),
    ...report.missing.map((ref) => ({ subject: describeRef(ref), action: 'missing' })),
    ...report.extra.map((ref) => ({ subject: describeRef(ref), action: 'extra' })),
  ];
  const diffs = report.drifted
    .filter((object) => object.diff !== '')
    .map((object) => `# drifted ${describeRef(object.ref)}\n${object.diff.trimEnd()}\n`);
  return {
    drift,
    ...listed(changes),
    counts: {
      checked: report.checked,
      drifted: report.drifted.length,
      missing: report.missing.length,
      extra: report.extra.length,
    },
    ...(diffs.length > 0 ? { diff: bounded(diffs.join(''), MAX_DIFF_CHARS) } : {}),
  };
}

/** The record of one app's sweep. */
function sweepRecord(
  outcome: SweepOutcome,
  base: ReturnType<typeof baseOf>,
  target: string | undefined,
): HistoryRecord {
  if (outcome.status === 'applied') return deployRecord(outcome.deploy, base, target);
  const where = {
    kind: 'sweep' as const,
    repo: outcome.repo,
    app: outcome.app,
    ...(target ? { target } : {}),
  };
  if (outcome.status === 'skipped') {
    return {
      ...base,
      ...where,
      outcome: 'skipped',
      reason: bounded(outcome.reason),
      counts: {},
      changes: [],
    };
  }
  const commit = outcome.sha ? { commit: { sha: outcome.sha } } : {};
  if (outcome.status === 'failed') {
    return {
      ...base,
      ...where,
      ...commit,
      outcome: 'failed',
      failure: { stage: 'render', message: bounded(outcome.error ?? 'the sweep failed') },
      counts: {},
      changes: [],
    };
  }
  const filesFinding = 'filesFinding' in outcome ? outcome.filesFinding : undefined;
  if (outcome.status === 'drifted' && filesFinding) {
    return filesDriftRecord(filesFinding, base, { ...where, target: filesFinding.host }, commit);
  }
  const finding = outcome.finding;
  if (outcome.status === 'in-sync' || !finding) {
    return {
      ...base,
      ...where,
      ...commit,
      ...(outcome.sha ? { appliedSha: outcome.sha } : {}),
      outcome: 'in-sync',
      counts: {},
      changes: [],
    };
  }
  const drift = driftPart(finding.report);
  const applied = finding.report.appliedRevision
    ? { appliedSha: finding.report.appliedRevision }
    : {};
  const healed = finding.healed;
  if (!healed) {
    return { ...base, ...where, ...commit, ...applied, outcome: 'drifted', ...drift };
  }
  return {
    ...base,
    ...where,
    kind: 'heal',
    ...commit,
    ...applied,
    outcome: healed.ok ? 'healed' : 'failed',
    ...drift,
    ...(healed.ok
      ? {}
      : {
          failure: boundedFailure({
            stage: 'apply',
            message: healed.errors.join('; ') || 'healing did not complete',
          }),
        }),
  };
}

/** A `files` app's drift: each drifted file with its owner on the host, healed or not. */
function filesDriftRecord(
  finding: FilesDriftFinding,
  base: ReturnType<typeof baseOf>,
  where: { kind: 'sweep'; repo: string; app: string; target: string },
  commit: { commit?: { sha: string } },
): HistoryRecord {
  const drift: RunDriftField[] = finding.files.map((file) => ({
    subject: file.path,
    field: file.action === 'create' ? 'missing' : file.action === 'delete' ? 'extra' : 'content',
    changedBy: file.live?.owner ? [file.live.owner] : [],
  }));
  const diff = finding.files
    .filter((file) => file.diff)
    .map((file) => `# ${file.path}\n${file.diff}`)
    .join('\n');
  const part = {
    counts: countsOf(finding.files.map((file) => file.action)),
    ...listed(finding.files.map((file) => ({ subject: file.path, action: file.action }))),
    drift,
    ...(diff ? { diff: bounded(diff, MAX_DIFF_CHARS) } : {}),
  };
  const healed = finding.healed;
  if (!healed) return { ...base, ...where, ...commit, outcome: 'drifted', ...part };
  return {
    ...base,
    ...where,
    kind: 'heal',
    ...commit,
    outcome: healed.ok ? 'healed' : 'failed',
    ...part,
    ...(healed.ok
      ? {}
      : {
          failure: boundedFailure({
            stage: 'apply',
            message: healed.errors.join('; ') || 'healing did not complete',
          }),
        }),
  };
}

/** The target an outcome names, when the flow reported it. */
function targetOf(outcome: FlowOutcome): string | undefined {
  if ('target' in outcome && typeof outcome.target === 'string') return outcome.target;
  if ('deploy' in outcome && 'target' in outcome.deploy) return outcome.deploy.target;
  return undefined;
}

/** The records of a run that ended with `outcome` (one per app; a plan may have several). */
export function historyRecordsOf(
  job: Job,
  outcome: FlowOutcome,
  run: RunContext,
): Redacted<HistoryRecord>[] {
  const base = baseOf(job, run);
  let records: HistoryRecord[];
  switch (job.kind) {
    case 'plan':
      records = planRecords(job, outcome as PlanJobOutcome, base);
      break;
    case 'reconcile':
      records = [deployRecord(outcome as DeployOutcome, base, targetOf(outcome))];
      break;
    case 'sweep':
      records = [sweepRecord(outcome as SweepOutcome, base, targetOf(outcome))];
      break;
  }
  // The outcome left its flow redacted (`FlowOutcome`): what the records take from it is too.
  return records as Redacted<HistoryRecord>[];
}

/**
 * The record of a run that threw: a transient failure the queue retries, or a bug. Errors leave
 * a flow's job scope redacted (`inJobScope`), so the message and hint are.
 */
export function historyRecordOfError(
  job: Job,
  error: unknown,
  run: RunContext,
): Redacted<HistoryRecord> {
  const failure = failureOf(error, job.kind === 'plan' ? 'plan' : 'apply');
  return {
    ...baseOf(job, run),
    kind: job.kind === 'plan' ? 'plan' : job.kind === 'sweep' ? 'sweep' : 'deploy',
    repo: job.repo,
    app: job.kind === 'plan' ? REPO_CONFIG_FILE : job.app,
    ...(job.kind === 'plan' ? { pullRequest: job.number } : {}),
    outcome: 'error',
    ...(isTransient(error) ? { reason: 'transient failure: the job is retried' } : {}),
    failure: boundedFailure(failure),
    counts: {},
    changes: [],
  } as unknown as Redacted<HistoryRecord>;
}

/** What the CLI knows of an apply it records. */
export interface CliApplyContext {
  runId: string;
  repo: string;
  target?: string;
  startedAt: number;
  finishedAt: number;
}

/** The record of `plumbline unlock --record`: who broke whose lease, and when. */
export function historyRecordOfUnlock(
  broken: { holder: string | undefined; brokenBy: string; brokenAt: string },
  where: { app: string; namespace: string },
  context: CliApplyContext,
): HistoryRecord {
  return {
    runId: context.runId,
    kind: 'unlock',
    trigger: 'cli',
    repo: context.repo,
    app: where.app,
    ...(context.target ? { target: context.target } : {}),
    outcome: 'unlocked',
    reason: bounded(
      `lease of ${where.app} in ${where.namespace} broken by ${broken.brokenBy}${broken.holder ? `, held by ${broken.holder}` : ''}`,
    ),
    ...(broken.holder ? { leaseHolder: bounded(broken.holder) } : {}),
    counts: {},
    changes: [],
    startedAt: new Date(context.startedAt).toISOString(),
    finishedAt: broken.brokenAt,
    durationMs: Math.max(0, Date.parse(broken.brokenAt) - context.startedAt),
  };
}

/** The record of a CLI `apply --record` that produced `changeSet`. */
export function historyRecordOfChangeSet(
  changeSet: Redacted<ChangeSet>,
  context: CliApplyContext,
): Redacted<HistoryRecord> {
  const failure = changeSet.ok
    ? undefined
    : { stage: 'apply', message: changeSet.errors.join('; ') || 'apply did not complete' };
  return {
    runId: context.runId,
    kind: 'deploy',
    trigger: 'cli',
    repo: context.repo,
    app: changeSet.app,
    ...(context.target ? { target: context.target } : {}),
    commit: { sha: changeSet.revision },
    ...(changeSet.ok ? { appliedSha: changeSet.revision } : {}),
    outcome: changeSet.ok ? 'applied' : 'failed',
    ...changeSetPart(changeSet),
    ...(failure ? { failure: boundedFailure(failure) } : {}),
    startedAt: new Date(context.startedAt).toISOString(),
    finishedAt: new Date(context.finishedAt).toISOString(),
    durationMs: Math.max(0, context.finishedAt - context.startedAt),
  } as unknown as Redacted<HistoryRecord>;
}

/**
 * The record of a CLI apply that failed before it produced a change set; `error` is the one
 * the CLI redacted with its ledger.
 */
export function historyRecordOfCliError(
  app: string,
  sha: string | undefined,
  error: unknown,
  context: CliApplyContext,
): Redacted<HistoryRecord> {
  return {
    runId: context.runId,
    kind: 'deploy',
    trigger: 'cli',
    repo: context.repo,
    app,
    ...(context.target ? { target: context.target } : {}),
    ...(sha ? { commit: { sha } } : {}),
    outcome: 'failed',
    failure: boundedFailure(failureOf(error, 'apply')),
    counts: {},
    changes: [],
    startedAt: new Date(context.startedAt).toISOString(),
    finishedAt: new Date(context.finishedAt).toISOString(),
    durationMs: Math.max(0, context.finishedAt - context.startedAt),
  } as unknown as Redacted<HistoryRecord>;
}
