/**
 * The sweep: for every app of every registered repository, reconcile-or-report. An app whose
 * branch head renders differently from what its ApplySet parent records was missed by a
 * webhook and is applied now (recorded as a Deployment like any push). An app that is up to
 * date is checked for drift: drift becomes (or updates) a GitHub issue naming each field and
 * the manager that changed it, and is put back where the app has `selfHeal: true`; the issue
 * closes once the app is clean.
 */
import { loadTrustedConfig } from '../config/trusted-config.ts';
import { describeRef } from '../core/object.ts';
import { type DriftReport, detectDrift, healDrift } from '../drift/drift.ts';
import { messageOf } from '../errors.ts';
import { type FilesSweepOutcome, sweepFilesApp } from '../hosts/files-flows.ts';
import { readInventory } from '../inventory/applyset.ts';
import type { ReconcileJob, SweepJob } from '../jobs/job.ts';
import type { ResolveJobDeps } from '../jobs/resolve-job.ts';
import { repoAccess, resolveReconcileJob } from '../jobs/resolve-job.ts';
import type { Logger } from '../ports/logger.ts';
import type { RenderResult } from '../render/index.ts';
import { statusDescription } from '../report/github.ts';
import { type Redacted, redacted } from '../report/redacted.ts';
import { applyAndRecord, renderResolved, statusContext } from './deploy-app.ts';
import type { DeployOutcome } from './deploy-outcome.ts';
import { reportRefusedTarget } from './deployment-record.ts';
import { type DriftFinding, type DriftIssueAction, syncDriftIssue } from './drift-issue.ts';
import { bestEffort, type FlowDeps } from './flow-deps.ts';
import { failureOf } from './flow-failure.ts';
import { inJobScope, type JobDeps } from './job-secrets.ts';

/** How one app's sweep ended. */
export type SweepOutcome =
  | { status: 'skipped'; repo: string; app: string; reason: string }
  | { status: 'applied'; repo: string; app: string; target?: string; deploy: DeployOutcome }
  | {
      status: 'in-sync' | 'drifted' | 'failed';
      repo: string;
      app: string;
      /** The target binding the app deploys to (for the history). */
      target?: string;
      sha?: string;
      finding?: DriftFinding;
      issue?: DriftIssueAction;
      error?: string;
    }
  | FilesSweepOutcome;

/**
 * Sweeps one app, in its own secrets scope: every value decrypted for it is masked in the
 * drift issue, statuses, logs and the outcome.
 */
export function sweepApp(job: SweepJob, deps: FlowDeps): Promise<Redacted<SweepOutcome>> {
  return inJobScope(deps, (scoped) => sweepInScope(job, scoped));
}

async function sweepInScope(job: SweepJob, deps: JobDeps): Promise<SweepOutcome> {
  const base = { repo: job.repo, app: job.app };
  const reconcile: ReconcileJob = { ...job, kind: 'reconcile' };
  const resolved = await resolveReconcileJob(reconcile, deps);
  if (resolved.kind === 'skip') return { status: 'skipped', ...base, reason: resolved.reason };
  if (resolved.kind === 'refused') {
    const failure = await reportRefusedTarget(resolved, deps);
    return {
      status: 'failed',
      ...base,
      target: resolved.app.target,
      sha: resolved.sha,
      error: failure.message,
    };
  }
  if (resolved.kind === 'files') return sweepFilesApp(resolved, job, deps);
  const { sha, app, repo, github } = resolved;
  const where = { ...base, target: app.target };
  const client = await deps.clusters.clientFor(resolved.target);
  const inventory = await readInventory(client, app.name, app.namespace);
  let rendered: RenderResult;
  try {
    rendered = await renderResolved(resolved, deps);
  } catch (error) {
    // Reported as the commit's status, which GitHub replaces per context: sweeping again and
    // again leaves one failure, not a Deployment per sweep.
    const failure = failureOf(error, 'render');
    if (github) {
      await bestEffort(deps.logger, `${statusContext(app.name)}: commit status`, () =>
        github.createCommitStatus(repo.ref, sha, {
          state: 'failure',
          context: statusContext(app.name),
          description: statusDescription(redacted({ kind: 'failed', failure }, deps.ledger)),
        }),
      );
    }
    deps.logger.log('error', 'sweep: head does not render', {
      ...where,
      sha,
      error: failure.message,
    });
    return { status: 'failed', ...where, sha, error: failure.message };
  }
  if (inventory.digest !== rendered.digest || inventory.failed) {
    const reason = inventory.failed
      ? `its last run failed (${inventory.failed.stage})`
      : 'the head renders differently from what is applied';
    deps.logger.log('info', 'sweep: head differs from the applied state', {
      ...where,
      sha,
      applied: inventory.revision,
      reason,
    });
    const deploy = await applyAndRecord(
      resolved,
      rendered,
      undefined,
      client,
      deps,
      job.deliveryId,
      reason,
    );
    return { status: 'applied', ...where, deploy };
  }

  const input = {
    app: app.name,
    namespace: app.namespace,
    objects: rendered.objects,
    revision: sha,
    sensitive: new Set(rendered.sensitive),
    secrets: deps.ledger,
    digest: rendered.digest,
  };
  const report = await detectDrift(input, client, { inventory });
  let finding: DriftFinding | undefined;
  if (!report.inSync) {
    finding = { repo: repo.fullName, app: app.name, sha, target: app.target, report };
    if (app.selfHeal) {
      try {
        const healed = await healDrift(input, report, client, {
          holder: deps.holder,
          failOnConflict: app.failOnConflict,
          ...(deps.lease ? { lease: deps.lease } : {}),
        });
        finding.healed = { ok: healed.ok, errors: healed.errors.map((e) => e.message) };
      } catch (error) {
        finding.healed = { ok: false, errors: [messageOf(error)] };
      }
    }
  }
  // A Git source has no issues to open: its drift is in this log and in the history.
  const issue =
    github &&
    (await bestEffort(deps.logger, `${repo.fullName} ${app.name}: drift issue`, () =>
      syncDriftIssue(
        github,
        repo.ref,
        repo.fullName,
        app.name,
        finding && redacted(finding, deps.ledger),
      ),
    ));
  deps.logger.log('info', finding ? 'sweep: drift found' : 'sweep: in sync', {
    ...where,
    sha,
    drifted: report.drifted.length,
    missing: report.missing.length,
    extra: report.extra.length,
    ...(finding?.healed ? { healed: finding.healed.ok } : {}),
    ...(issue ? { issue: issue.action } : {}),
    // Without a GitHub issue to read, the log says what drifted (names and paths, no values).
    ...(finding && !github ? { changes: driftLines(report) } : {}),
  });
  return {
    status: finding ? 'drifted' : 'in-sync',
    ...where,
    sha,
    ...(finding ? { finding } : {}),
    ...(issue ? { issue: issue.action } : {}),
  };
}

/** At most this many drifted fields are named in a log line. */
const MAX_LOGGED_CHANGES = 20;

/** What drifted, one short line per field or object: `Deployment/web spec.replicas by kubectl`. */
function driftLines(report: DriftReport): string[] {
  const lines: string[] = [];
  for (const object of report.drifted) {
    for (const field of object.fields) {
      lines.push(
        `${describeRef(object.ref)} ${field.path} by ${field.managers.join(', ') || 'unknown'}`,
      );
    }
  }
  for (const ref of report.missing) lines.push(`${describeRef(ref)} missing`);
  for (const ref of report.extra) lines.push(`${describeRef(ref)} extra`);
  return lines.length > MAX_LOGGED_CHANGES
    ? [...lines.slice(0, MAX_LOGGED_CHANGES), `and ${lines.length - MAX_LOGGED_CHANGES} more`]
    : lines;
}

/** Options of `sweepJobs`. */
export interface SweepJobsOptions {
  /** Names this sweep in logs (`sweep-<time>`). */
  sweepId: string;
  logger: Logger;
}

/**
 * One sweep job per app of every registered repository, from each repository's trusted
 * configuration. A repository that cannot be read is logged and skipped: the others are
 * still swept.
 */
export async function sweepJobs(
  deps: Pick<ResolveJobDeps, 'registry' | 'gitHostFor' | 'gitSourceFor'>,
  options: SweepJobsOptions,
): Promise<SweepJob[]> {
  const jobs: SweepJob[] = [];
  for (const repo of deps.registry.all()) {
    try {
      const trusted = await loadTrustedConfig(repo, repoAccess(repo, deps).source);
      for (const app of trusted ? trusted.config.apps : []) {
        jobs.push({
          kind: 'sweep',
          repo: repo.fullName,
          app: app.name,
          branch: app.branch,
          deliveryId: options.sweepId,
        });
      }
    } catch (error) {
      options.logger.log('error', 'sweep: cannot list apps', {
        repo: repo.fullName,
        error: messageOf(error),
      });
    }
  }
  return jobs;
}
