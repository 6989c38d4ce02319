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
import { messageOf } from '../errors.ts';
import type { ReconcileJob } from '../jobs/job.ts';
import { type ResolvedJob, resolveReconcileJob } from '../jobs/resolve-job.ts';
import { isTransient } from '../jobs/transient.ts';
import type { KubeClient } from '../kube/client.ts';
import { type RenderResult, renderApp } from '../render/index.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';
import { appImpact, changedFiles } from './affected-apps.ts';
import { bestEffort, clip, type FlowDeps } from './flow-deps.ts';
import { type FlowFailure, failureOf } from './flow-failure.ts';

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

/** One line counting a change set's actions, e.g. `2 created, 1 configured, 5 unchanged`. */
export function describeChangeSet(changeSet: ChangeSet): string {
  const counts = new Map<string, number>();
  for (const entry of changeSet.entries) {
    counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1);
  }
  const order = ['created', 'configured', 'deleted', 'unchanged', 'skipped', 'failed'];
  const parts = order.filter((a) => counts.has(a)).map((a) => `${counts.get(a)} ${a}`);
  return parts.join(', ') || 'nothing to apply';
}

/** Renders the app of a resolved job with its decryptor. */
export function renderResolved(resolved: ResolvedJob, deps: FlowDeps): Promise<RenderResult> {
  return (deps.render ?? renderApp)(resolved.tree, resolved.app.path, {
    decryptor: deps.decryptorFor?.(resolved.repo, resolved.app) ?? createSopsDecryptor(),
  });
}

/** Deploys the app a reconcile job names, if the change affects it. */
export async function deployApp(job: ReconcileJob, deps: FlowDeps): Promise<DeployOutcome> {
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
    const change = await changedFiles(gitHost, repo.ref, {
      base: job.since,
      head: sha,
      ...(job.forced ? { forced: true } : {}),
    });
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
  deps: FlowDeps,
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
      description: clip(`Plumbline deploys ${app.name} to ${app.target}/${app.namespace}`, 140),
    }),
  );
  const record = async (
    state: 'in_progress' | 'success' | 'failure' | 'error',
    description: string,
  ) => {
    const text = clip(description, 140);
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
  await record('in_progress', `Deploying ${sha.slice(0, 7)}`);
  const withId = deploymentId === undefined ? {} : { deploymentId };

  if (!rendered) {
    const failure = failureOf(renderError, 'render');
    await record('failure', `${failure.stage} failed: ${failure.message}`);
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
    changeSet = await applyPlan(
      {
        app: app.name,
        namespace: app.namespace,
        objects: rendered.objects,
        revision: sha,
        sensitive: new Set(rendered.sensitive),
        digest: rendered.digest,
      },
      client,
      { holder: deps.holder, prune: app.prune, ...(deps.health ? { health: deps.health } : {}) },
    );
  } catch (error) {
    const failure = failureOf(error, 'apply');
    if (isTransient(error)) {
      await record('error', `Will retry: ${failure.message}`);
      deps.logger.log('warn', 'deploy interrupted', {
        ...base,
        error: messageOf(error),
        deliveryId,
      });
      throw error;
    }
    await record('failure', `${failure.stage} failed: ${failure.message}`);
    deps.logger.log('error', 'reconcile failed', {
      ...base,
      stage: failure.stage,
      error: failure.message,
    });
    return { status: 'failed', ...base, failure, ...withId };
  }
  if (!changeSet.ok) {
    const message = changeSet.errors.join('; ') || 'apply did not complete';
    await record('failure', `apply failed: ${message}`);
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
  const summary = describeChangeSet(changeSet);
  await record('success', `Applied ${sha.slice(0, 7)}: ${summary}`);
  const counts: Record<string, number> = {};
  for (const entry of changeSet.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  // One message and field set for every deploy outcome, so log queries stay simple.
  deps.logger.log('info', 'reconciled', { ...base, counts, summary, deliveryId });
  return { status: 'applied', ...base, changeSet, ...withId };
}
