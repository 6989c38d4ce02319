/**
 * The push flow: one app brought to the head of its branch, recorded on GitHub. The job is
 * level-triggered: the head is re-read, the app rendered there (no cluster), and only when
 * the app is affected (files it reads changed since the job's hint, its config entry changed,
 * or, without a usable hint, its rendered digest differs from the one recorded on its
 * ApplySet parent) does it cost cluster requests, a GitHub Deployment (in_progress, then
 * success or failure with the reason) and a commit status `plumbline/<app>`.
 */
import { applyPlan, type ChangeSet } from '../apply/apply.ts';
import { readInventory } from '../apply/applyset.ts';
import { assertDestinations } from '../credentials/namespace-guard.ts';
import { messageOf } from '../errors.ts';
import type { ReconcileJob } from '../jobs/job.ts';
import { type ResolvedJob, resolveReconcileJob } from '../jobs/resolve-job.ts';
import { isTransient } from '../jobs/transient.ts';
import type { KubeClient } from '../kube/client.ts';
import { type RenderResult, renderApp } from '../render/index.ts';
import { applyFailureMessage, type StatusEvent, statusDescription } from '../report/github.ts';
import { type Redacted, redacted } from '../report/redacted.ts';
import { changeSetSummary } from '../report/summary.ts';
import { appImpact, changedFiles } from './affected-apps.ts';
import { bestEffort, type FlowDeps } from './flow-deps.ts';
import { type FlowFailure, failureOf } from './flow-failure.ts';
import { inJobScope, type JobDeps } from './job-secrets.ts';

/** How a deploy ended. */
export type DeployOutcome =
  | { status: 'skipped'; repo: string; app: string; reason: string; sha?: string }
  | {
      status: 'applied' | 'failed';
      repo: string;
      app: string;
      sha: string;
      changeSet?: ChangeSet;
      failure?: FlowFailure;
      deploymentId?: number;
    };

/** The commit status context of an app. */
export function statusContext(app: string): string {
  return `plumbline/${app}`;
}

/** Renders the app of a resolved job with the job's decryptor (feeding its ledger). */
export function renderResolved(resolved: ResolvedJob, deps: JobDeps): Promise<RenderResult> {
  return (deps.render ?? renderApp)(resolved.tree, resolved.app.path, {
    decryptor: deps.decryptorFor(resolved.repo, resolved.app),
  });
}

/**
 * Deploys the app a reconcile job names, if the change affects it, in its own secrets scope:
 * every value decrypted for it is masked in statuses, logs and the outcome.
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
  const { sha, app, gitHost, repo } = resolved;
  let rendered: RenderResult | undefined;
  let renderError: unknown;
  try {
    rendered = await renderResolved(resolved, deps);
  } catch (error) {
    renderError = error;
  }

  if (job.since !== undefined) {
    const change = await changedFiles(
      gitHost,
      repo.ref,
      { base: job.since, head: sha, ...(job.forced ? { forced: true } : {}) },
      resolved.trusted,
    );
    const impact = appImpact(app, resolved.config, change, rendered);
    if (!impact.affected) {
      log('info', 'reconcile skipped', { sha, reason: impact.reason });
      return { status: 'skipped', ...base, sha, reason: `not affected: ${impact.reason}` };
    }
  }

  let client: KubeClient | undefined;
  if (rendered && job.since === undefined) {
    // No usable hint: the digest recorded on the parent decides (one GET). If the cluster
    // cannot be reached here, the apply below meets the same failure and records it.
    try {
      client = await deps.clusters.clientFor(resolved.target);
      const inventory = await readInventory(client, app.name, app.namespace);
      if (inventory.digest === rendered.digest) {
        log('info', 'reconcile skipped', {
          sha,
          reason: 'rendered digest matches the applied one',
        });
        return {
          status: 'skipped',
          ...base,
          sha,
          reason: 'rendered digest matches the applied one',
        };
      }
    } catch {
      client = undefined;
    }
  }
  return applyAndRecord(resolved, rendered, renderError, client, deps, job.deliveryId);
}

/**
 * Applies a rendered app and records it as a GitHub Deployment and a commit status. A
 * transient failure (5xx, network) is reported as an error and rethrown, so the queue retries.
 */
export async function applyAndRecord(
  resolved: ResolvedJob,
  rendered: RenderResult | undefined,
  renderError: unknown,
  knownClient: KubeClient | undefined,
  deps: JobDeps,
  deliveryId: string,
): Promise<DeployOutcome> {
  const { sha, app, gitHost, repo } = resolved;
  const base = { repo: repo.fullName, app: app.name, sha };
  const ref = repo.ref;
  const context = statusContext(app.name);
  const deploymentId = await bestEffort(deps.logger, `${context}: creating the deployment`, () =>
    gitHost.createDeployment(ref, {
      ref: sha,
      environment: app.name,
      description: statusDescription(
        redacted(
          { kind: 'deployment', app: app.name, target: app.target, namespace: app.namespace },
          deps.ledger,
        ),
      ),
    }),
  );
  const record = async (
    state: 'in_progress' | 'success' | 'failure' | 'error',
    event: StatusEvent,
  ) => {
    // Redacted before it is cut to 140 characters: a cut value would escape the redactor.
    const text = statusDescription(redacted(event, deps.ledger));
    if (deploymentId !== undefined) {
      await bestEffort(deps.logger, `${context}: deployment status`, () =>
        gitHost.createDeploymentStatus(ref, deploymentId, state, text),
      );
    }
    const commitState =
      state === 'in_progress' ? 'pending' : state === 'success' ? 'success' : state;
    await bestEffort(deps.logger, `${context}: commit status`, () =>
      gitHost.createCommitStatus(ref, sha, { state: commitState, context, description: text }),
    );
  };
  await record('in_progress', { kind: 'deploying', sha });
  const withId = deploymentId === undefined ? {} : { deploymentId };

  if (!rendered) {
    const failure = failureOf(renderError, 'render');
    await record('failure', { kind: 'failed', failure });
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: failure.stage,
      error: failure.message,
    });
    return { status: 'failed', ...base, failure, ...withId };
  }
  let changeSet: ChangeSet;
  try {
    const client = knownClient ?? (await deps.clusters.clientFor(resolved.target));
    await assertDestinations(resolved.target, app.name, rendered.objects, app.namespace, client);
    changeSet = await applyPlan(
      {
        app: app.name,
        namespace: app.namespace,
        objects: rendered.objects,
        revision: sha,
        sensitive: new Set(rendered.sensitive),
        secrets: deps.ledger,
        digest: rendered.digest,
      },
      client,
      { holder: deps.holder, prune: app.prune, ...(deps.health ? { health: deps.health } : {}) },
    );
  } catch (error) {
    const failure = failureOf(error, 'apply');
    if (isTransient(error)) {
      await record('error', { kind: 'retrying', failure });
      deps.logger.log('warn', 'deploy interrupted', {
        ...base,
        error: messageOf(error),
        deliveryId,
      });
      throw error;
    }
    await record('failure', { kind: 'failed', failure });
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: failure.stage,
      error: failure.message,
    });
    return { status: 'failed', ...base, failure, ...withId };
  }
  if (!changeSet.ok) {
    const message = applyFailureMessage(changeSet);
    await record('failure', { kind: 'apply-failed', changeSet });
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: 'apply',
      errors: changeSet.errors,
    });
    return {
      status: 'failed',
      ...base,
      changeSet,
      failure: { stage: 'apply', message },
      ...withId,
    };
  }
  const summary = changeSetSummary(changeSet);
  await record('success', { kind: 'applied', sha, changeSet });
  const counts: Record<string, number> = {};
  for (const entry of changeSet.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  // One message and field set for every deploy outcome, so log queries stay simple.
  deps.logger.log('info', 'reconciled', { ...base, counts, summary, deliveryId });
  return { status: 'applied', ...base, changeSet, ...withId };
}
