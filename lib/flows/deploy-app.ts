/**
 * The push flow: one app brought to the head of its branch, recorded on GitHub. The job is
 * level-triggered: whatever the push changed, it ends with the app in one of three states:
 *
 * - **applied** at the head's digest;
 * - **unchanged**, because the digest recorded on its ApplySet parent equals the head's and
 *   the last run did not fail (one GET of the parent decides; no other cluster request);
 * - **failed** (or **held**, by `requireReviewedPlan`), reported as a GitHub Deployment and a
 *   commit status `plumbline/<app>`.
 *
 * An app whose last run failed carries a failed marker on its parent, so the next push that
 * reaches its branch retries it even when none of its files changed, and so does the sweep.
 *
 * Before applying, the deploy plans (dry run) and binds the plan to the plans shown for the
 * commit (`reviewed-plan.ts`): when the base or live state moved since the reviewed plan, the
 * deployment says so and links a fresh plan; with `requireReviewedPlan`, it holds instead.
 */
import { applyPlan, type ChangeSet } from '../apply/apply.ts';
import type { KubernetesAppConfig } from '../config/repo-config.ts';
import { assertDestinations } from '../credentials/namespace-guard.ts';
import type { AppInput } from '../desired/app-input.ts';
import { ApplyError, ConfigError, messageOf, PlumblineError } from '../errors.ts';
import { deployFilesApp } from '../hosts/files-flows.ts';
import { readInventory } from '../inventory/applyset.ts';
import type { ReconcileJob } from '../jobs/job.ts';
import { type ResolvedJob, resolveReconcileJob } from '../jobs/resolve-job.ts';
import { isTransient } from '../jobs/transient.ts';
import type { KubeClient } from '../kube/client.ts';
import { type Plan, planApp } from '../plan/plan.ts';
import { type RenderResult, renderApp } from '../render/index.ts';
import { describeCharts } from '../report/chart-summary.ts';
import { planMarkdown } from '../report/markdown.ts';
import { type Redacted, redacted } from '../report/redacted.ts';
import { changeSetSummary } from '../report/summary.ts';
import { appImpact, borrowedFiles, changedFiles } from './affected-apps.ts';
import type { DeployOutcome, DeployPlanInfo } from './deploy-outcome.ts';
import { deploymentRecorder, reportRefusedTarget, statusContext } from './deployment-record.ts';
import { bestEffort, type FlowDeps } from './flow-deps.ts';
import { failureOf } from './flow-failure.ts';
import { inJobScope, type JobDeps } from './job-secrets.ts';
import {
  bindPlan,
  describeMove,
  type PlanBinding,
  planStatusContext,
  shownPlans,
  stampOf,
  stampText,
} from './reviewed-plan.ts';

export { statusContext };

/** Renders the app of a resolved job with the job's decryptor (feeding its ledger). */
export function renderResolved(resolved: ResolvedJob, deps: JobDeps): Promise<RenderResult> {
  return (deps.render ?? renderApp)(resolved.tree, resolved.app.path, {
    decryptor: deps.decryptorFor(resolved.repo, resolved.app),
    app: resolved.app.name,
    ...(deps.helm ? { helm: deps.helm } : {}),
    ...(resolved.app.helm
      ? { helmSource: { helm: resolved.app.helm, namespace: resolved.app.namespace } }
      : {}),
  });
}

/** Why an app must be deployed now, or `undefined` when it is unchanged. */
async function reasonToDeploy(
  job: ReconcileJob,
  resolved: ResolvedJob,
  rendered: RenderResult,
  client: KubeClient,
): Promise<string | undefined> {
  const { app } = resolved;
  const inventory = await readInventory(client, app.name, app.namespace);
  if (inventory.failed) {
    return `its last run failed (${inventory.failed.stage}${inventory.failed.revision ? ` at ${inventory.failed.revision.slice(0, 7)}` : ''})`;
  }
  if (!inventory.digest) return 'it was never applied';
  if (inventory.digest !== rendered.digest)
    return 'the head renders differently from what is applied';
  if (job.since !== undefined) {
    // Same objects, but a changed entry (prune turned on, say) still deserves a run.
    const change = await changedFiles(
      resolved.source,
      resolved.repo.ref,
      { base: job.since, head: resolved.sha, ...(job.forced ? { forced: true } : {}) },
      resolved.trusted,
    );
    if (change.kind === 'listed') {
      const impact = appImpact(app, resolved.config, change, rendered);
      if (impact.affected && impact.reason.includes('entry changed')) return impact.reason;
    }
  }
  return undefined;
}

/**
 * Deploys the app a reconcile job names, unless it is unchanged at the head, in its own
 * secrets scope: every value decrypted for it is masked in statuses, logs and the outcome.
 */
export function deployApp(job: ReconcileJob, deps: FlowDeps): Promise<Redacted<DeployOutcome>> {
  return inJobScope(deps, (scoped) => deployInScope(job, scoped));
}

async function deployInScope(job: ReconcileJob, deps: JobDeps): Promise<DeployOutcome> {
  const base = { repo: job.repo, app: job.app };
  const log = (level: 'info' | 'warn' | 'error', message: string, fields = {}) =>
    deps.logger.log(level, message, { ...base, delivery: job.deliveryId, ...fields });

  const resolved = await resolveReconcileJob(job, deps);
  if (resolved.kind === 'skip') {
    log('info', 'reconcile skipped', { reason: resolved.reason });
    return { status: 'skipped', ...base, reason: resolved.reason };
  }
  if (resolved.kind === 'refused') {
    const failure = await reportRefusedTarget(resolved, deps);
    return { status: 'failed', ...base, sha: resolved.sha, target: resolved.app.target, failure };
  }
  if (resolved.kind === 'files') return deployFilesApp(resolved, job, deps);
  const { sha } = resolved;
  let rendered: RenderResult | undefined;
  let renderError: unknown;
  try {
    rendered = await renderResolved(resolved, deps);
  } catch (error) {
    renderError = error;
  }
  if (!rendered) {
    return applyAndRecord(resolved, undefined, renderError, undefined, deps, job.deliveryId);
  }
  const borrowed = borrowedFiles(resolved.app, resolved.config.apps, rendered.files);
  if (borrowed.length > 0) {
    log('warn', "the app reads files under another app's path", {
      files: borrowed.map((b) => `${b.file} (${b.owner})`),
      hint: "A push touching only those files deploys the other app, and this one at the next sweep: move shared files outside every app's path (they then reach every app).",
    });
  }
  let client: KubeClient | undefined;
  let reason: string | undefined;
  try {
    client = await deps.clusters.clientFor(resolved.target);
    reason = await reasonToDeploy(job, resolved, rendered, client);
    if (reason === undefined) {
      const why = 'unchanged: the applied digest equals the head’s';
      log('info', 'reconcile skipped', { sha, reason: why });
      return { status: 'skipped', ...base, sha, target: resolved.app.target, reason: why };
    }
  } catch (error) {
    // The cluster cannot be reached here: the deploy below meets the same failure and
    // records it (a transient one is retried).
    if (!(error instanceof PlumblineError)) throw error;
    reason = `the applied state cannot be read (${messageOf(error)})`;
  }
  return applyAndRecord(resolved, rendered, undefined, client, deps, job.deliveryId, reason);
}

/** The app's input to plan and apply. */
function inputOf(resolved: ResolvedJob, rendered: RenderResult, deps: JobDeps): AppInput {
  return {
    secrets: deps.ledger,
    app: resolved.app.name,
    namespace: resolved.app.namespace,
    objects: rendered.objects,
    revision: resolved.sha,
    sensitive: new Set(rendered.sensitive),
    digest: rendered.digest,
  };
}

/** Plan options from the app's configuration. */
function planOptionsOf(app: KubernetesAppConfig) {
  return { failOnConflict: app.failOnConflict, pruneContents: app.pruneContents };
}

/**
 * Shows a fresh plan: as a comment on the pull request that brought the commit (when there is
 * one), and as the commit's plan stamp, so a later deploy of the same commit finds it shown.
 */
async function showFreshPlan(
  resolved: ResolvedJob,
  plan: Plan,
  binding: PlanBinding,
  held: boolean,
  deps: JobDeps,
): Promise<string | undefined> {
  const { github: gitHost, repo, sha, app } = resolved;
  if (!gitHost) return undefined; // a Git source: no pull request to show it on
  const why =
    binding.kind === 'moved'
      ? `The plan at the merged commit differs: ${describeMove(binding)}.`
      : 'No plan was shown for this commit before it was merged.';
  const what = held
    ? `\`requireReviewedPlan\` holds the deploy of **${app.name}**. This is the plan it holds; the next push or sweep applies it if it still matches.`
    : `This is what Plumbline applies to **${app.name}**.`;
  const body = [
    `<!-- plumbline:fresh-plan ${app.name} ${sha} -->`,
    `#### Fresh plan at merge \`${sha.slice(0, 7)}\``,
    '',
    `${why} ${what}`,
    '',
    planMarkdown(redacted(plan, deps.ledger), {
      title: `Plumbline plan for ${app.name} at ${sha.slice(0, 7)}`,
    }),
  ].join('\n');
  const pulls =
    binding.kind === 'moved' && binding.shown.number !== undefined
      ? [binding.shown.number]
      : (
          (await bestEffort(deps.logger, `${app.name}: pull requests of ${sha.slice(0, 7)}`, () =>
            gitHost.pullRequestsOfCommit(repo.ref, sha),
          )) ?? []
        ).map((p) => p.number);
  const number = pulls[0];
  if (number === undefined) return undefined; // nowhere to show it: nothing counts as shown
  const comment = await bestEffort(deps.logger, `${app.name}: fresh plan comment`, () =>
    gitHost.createIssueComment(repo.ref, number, body),
  );
  if (!comment) return undefined;
  const url = comment.url;
  await bestEffort(deps.logger, `${planStatusContext(app.name)}: fresh plan stamp`, () =>
    gitHost.createCommitStatus(repo.ref, sha, {
      state: 'success',
      context: planStatusContext(app.name),
      description: stampText(stampOf(plan)),
      ...(url ? { targetUrl: url } : {}),
    }),
  );
  return url ?? `#${number}`;
}

/** The short name of a plan in statuses: `plan 1a2b3c4d5e6f`. */
function planTag(plan: Plan): string {
  return `plan ${plan.digest.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Is this hold already reported on the commit (the same plan): then stay quiet. */
async function alreadyHeld(resolved: ResolvedJob, plan: Plan): Promise<boolean> {
  if (!resolved.github) return false;
  const statuses = await resolved.github.listCommitStatuses(resolved.repo.ref, resolved.sha);
  const status = statuses.find((s) => s.context === statusContext(resolved.app.name));
  return (
    status?.state === 'pending' &&
    status.description.startsWith('Held') &&
    status.description.includes(planTag(plan))
  );
}

/**
 * Plans, binds, applies and records a rendered app as a GitHub Deployment and a commit
 * status. A transient failure (5xx, network, the lease held by another run) is reported as an
 * error and rethrown, so the queue retries.
 */
export async function applyAndRecord(
  resolved: ResolvedJob,
  rendered: RenderResult | undefined,
  renderError: unknown,
  knownClient: KubeClient | undefined,
  deps: JobDeps,
  deliveryId: string,
  reason?: string,
): Promise<DeployOutcome> {
  const { sha, app, repo } = resolved;
  const base = {
    repo: repo.fullName,
    app: app.name,
    sha,
    target: app.target,
    ...(reason ? { reason } : {}),
  };
  const recording = deploymentRecorder(
    resolved,
    {
      kind: 'deployment',
      app: app.name,
      target: app.target,
      namespace: app.namespace,
      ...(rendered?.charts.length ? { charts: describeCharts(rendered.charts) } : {}),
    },
    deps,
  );
  const failed = async (error: unknown, fallback: 'render' | 'plan' | 'apply') => {
    const failure = failureOf(error, fallback);
    if (isTransient(error)) {
      await recording.record('error', { kind: 'retrying', failure });
      deps.logger.log('warn', 'deploy interrupted', {
        ...base,
        error: messageOf(error),
        deliveryId,
      });
      throw error;
    }
    await recording.record('failure', { kind: 'failed', failure });
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: failure.stage,
      error: failure.message,
    });
    const id = recording.deploymentId;
    return {
      status: 'failed' as const,
      ...base,
      failure,
      ...(id === undefined ? {} : { deploymentId: id }),
    };
  };

  if (!rendered) {
    await recording.start();
    return failed(renderError, 'render');
  }
  if (app.requireReviewedPlan && !resolved.github) {
    // Nothing can ever be reviewed without pull requests: holding would hold forever.
    await recording.start();
    return failed(
      new ConfigError(
        `plumbline.yaml: app ${app.name}: requireReviewedPlan needs pull requests, and ${repo.fullName} is a Git source without any`,
        {
          hint: 'remove requireReviewedPlan from the app, or serve the repository from GitHub',
        },
      ),
      'plan',
    );
  }
  const input = inputOf(resolved, rendered, deps);
  let client: KubeClient;
  let plan: Plan;
  try {
    client = knownClient ?? (await deps.clusters.clientFor(resolved.target));
    // Objects reaching outside the app's binding are refused whole, before anything is written.
    await assertDestinations(resolved.target, app.name, rendered.objects, app.namespace, client);
    plan = await planApp(input, client, undefined, planOptionsOf(app));
  } catch (error) {
    await recording.start();
    return failed(error, 'plan');
  }

  // Bind the plan to what was shown for this commit.
  let binding: PlanBinding = { kind: 'none' };
  try {
    // A Git source has no pull requests: no plan was shown for it.
    const shown = resolved.github ? await shownPlans(resolved.github, repo.ref, sha, app.name) : [];
    binding = bindPlan(plan, shown);
  } catch (error) {
    // Without the shown plans a held app cannot be judged: retry later. Others go on.
    if (app.requireReviewedPlan) {
      await recording.start();
      return failed(error, 'plan');
    }
    deps.logger.log('warn', 'reviewed plans could not be read', {
      ...base,
      error: messageOf(error),
    });
  }
  const planInfo: DeployPlanInfo = { digest: plan.digest, binding };

  if (app.requireReviewedPlan && binding.kind !== 'matched') {
    const why =
      binding.kind === 'moved'
        ? `${describeMove(binding)}`
        : 'no plan was shown for this commit on a pull request';
    if (await alreadyHeld(resolved, plan).catch(() => false)) {
      deps.logger.log('info', 'deploy held', { ...base, why, reported: 'before' });
      return { status: 'held', ...base, reason: `held: ${why}`, plan: planInfo };
    }
    await recording.start();
    const url = await showFreshPlan(resolved, plan, binding, true, deps);
    await recording.record('queued', { kind: 'held', plan: planTag(plan), why, shown: !!url }, url);
    deps.logger.log('info', 'deploy held', { ...base, why, digest: plan.digest });
    const id = recording.deploymentId;
    return {
      status: 'held',
      ...base,
      reason: `held: ${why}`,
      plan: { ...planInfo, ...(url ? { freshPlanUrl: url } : {}) },
      ...(id === undefined ? {} : { deploymentId: id }),
    };
  }

  await recording.start();
  await recording.record('in_progress', { kind: 'deploying', sha });
  let freshPlanUrl: string | undefined;
  if (binding.kind === 'moved') {
    freshPlanUrl = await showFreshPlan(resolved, plan, binding, false, deps);
    if (freshPlanUrl) planInfo.freshPlanUrl = freshPlanUrl;
  }
  let changeSet: ChangeSet;
  try {
    changeSet = await applyPlan({ ...input, plan }, client, {
      holder: deps.holder,
      prune: app.prune,
      failOnConflict: app.failOnConflict,
      pruneContents: app.pruneContents,
      ...(deps.lease ? { lease: deps.lease } : {}),
      ...(deps.health ? { health: deps.health } : {}),
    });
  } catch (error) {
    return failed(error, 'apply');
  }
  const id = recording.deploymentId;
  const withId = id === undefined ? {} : { deploymentId: id };
  const bound =
    binding.kind === 'moved'
      ? `${describeMove(binding)}${freshPlanUrl ? ' (fresh plan linked)' : ''}`
      : binding.kind === 'matched' && binding.shown.source === 'pull'
        ? `as reviewed in #${binding.shown.number}`
        : '';
  for (const warning of changeSet.warnings) {
    deps.logger.log('warn', 'deploy warning', { ...base, warning: warning.message });
  }
  if (!changeSet.ok) {
    const first = changeSet.errors[0] as PlumblineError;
    if (changeSet.errors.every(isTransient)) {
      // The cluster was briefly unavailable mid-way: the queue runs the job again.
      const retry = new ApplyError(`${app.name}: apply interrupted: ${first.message}`, {
        cause: first,
      });
      await recording.record(
        'error',
        { kind: 'retrying', failure: failureOf(first, 'apply') },
        freshPlanUrl,
      );
      deps.logger.log('warn', 'deploy interrupted', { ...base, error: first.message, deliveryId });
      throw retry;
    }
    const failure = failureOf(first, 'apply');
    const message = changeSet.errors.map((e) => e.message).join('; ');
    // The stage of the first failure leads: a prune refusal reads `prune failed: ...`.
    await recording.record(
      'failure',
      { kind: 'failed', failure: { ...failure, message } },
      freshPlanUrl,
    );
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: failure.stage,
      errors: changeSet.errors.map((e) => e.message),
    });
    return { status: 'failed', ...base, changeSet, failure, plan: planInfo, ...withId };
  }
  const summary = changeSetSummary(changeSet);
  await recording.record(
    'success',
    { kind: 'applied', sha, changeSet, ...(bound ? { note: bound } : {}) },
    freshPlanUrl,
  );
  const counts: Record<string, number> = {};
  for (const entry of changeSet.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  // One message and field set for every deploy outcome, so log queries stay simple.
  const charts = rendered.charts.map((c) => `${c.name} ${c.version ?? 'local'} ${c.digest}`);
  deps.logger.log('info', 'reconciled', {
    ...base,
    counts,
    summary,
    deliveryId,
    plan: binding.kind,
    ...(charts.length > 0 ? { charts } : {}),
  });
  return { status: 'applied', ...base, changeSet, plan: planInfo, ...withId };
}
