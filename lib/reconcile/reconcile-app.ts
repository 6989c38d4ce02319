/**
 * `reconcileApp`: one app of one repository, brought to the head of its branch. The linear
 * pipeline of ARCHITECTURE.md: source (head, tree, config) -> render (decrypting at load) ->
 * apply (staged, inventory, prune last) -> ChangeSet. Each failure stops the pipeline at its
 * stage and is returned as data naming the stage, the file or object, and a hint; nothing
 * after a failed stage runs, so nothing is pruned after a failure.
 */
import { applyPlan, type ChangeSet } from '../apply/apply.ts';
import type { AppConfig } from '../config/repo-config.ts';
import type { FileDecryptor } from '../core/decryptor.ts';
import { messageOf, PlumblineError, type Stage } from '../errors.ts';
import type { ReconcileJob } from '../jobs/job.ts';
import type { ResolveJobDeps } from '../jobs/resolve-job.ts';
import { resolveReconcileJob } from '../jobs/resolve-job.ts';
import type { Logger } from '../ports/logger.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { renderApp } from '../render/index.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';
import type { ClusterAccess } from './cluster-access.ts';

/** What reconciling needs besides the job. */
export interface ReconcileDeps extends ResolveJobDeps {
  clusters: ClusterAccess;
  /** The SOPS decryptor for an app; without one, encrypted files fail to decrypt (clearly). */
  decryptorFor?: (repo: RegisteredRepo, app: AppConfig) => FileDecryptor;
  /** Names this invocation in the app's lease. */
  holder: string;
  logger: Logger;
  /** Wait for rollouts after applying. */
  health?: { timeoutMs: number };
}

/** A failure, as data: the stage, and what to show users (never a secret). */
export interface StageFailure {
  stage: Stage;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  object?: string;
}

/** How a reconcile ended. */
export type ReconcileOutcome =
  | { status: 'skipped'; repo: string; app: string; reason: string }
  | {
      status: 'applied' | 'failed';
      repo: string;
      app: string;
      /** The commit reconciled to. */
      sha?: string;
      /** The rendered digest and dependency set, when rendering succeeded. */
      render?: { digest: string; files: string[]; objects: number };
      changeSet?: ChangeSet;
      failure?: StageFailure;
    };

function failureOf(error: unknown, fallback: Stage): StageFailure {
  if (error instanceof PlumblineError) {
    return {
      stage: error.stage,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.file ? { file: error.file } : {}),
      ...(error.line ? { line: error.line } : {}),
      ...(error.object ? { object: error.object } : {}),
    };
  }
  return { stage: fallback, message: messageOf(error) };
}

/** Reconciles the app a job names to the head of its branch. */
export async function reconcileApp(
  job: ReconcileJob,
  deps: ReconcileDeps,
): Promise<ReconcileOutcome> {
  const base = { repo: job.repo, app: job.app };
  const log = (level: 'info' | 'warn' | 'error', message: string, fields = {}) =>
    deps.logger.log(level, message, { ...base, delivery: job.deliveryId, ...fields });

  let resolved: Awaited<ReturnType<typeof resolveReconcileJob>>;
  try {
    resolved = await resolveReconcileJob(job, deps);
  } catch (error) {
    const failure = failureOf(error, 'source');
    log('error', 'reconcile failed', { stage: failure.stage, error: failure.message });
    return { status: 'failed', ...base, failure };
  }
  if (resolved.kind === 'skip') {
    log('info', 'reconcile skipped', { reason: resolved.reason });
    return { status: 'skipped', ...base, reason: resolved.reason };
  }
  const { sha, tree, app, target, repo } = resolved;

  let rendered: Awaited<ReturnType<typeof renderApp>>;
  try {
    rendered = await renderApp(tree, app.path, {
      decryptor: deps.decryptorFor?.(repo, app) ?? createSopsDecryptor(),
    });
  } catch (error) {
    const failure = failureOf(error, 'render');
    log('error', 'reconcile failed', { sha, stage: failure.stage, error: failure.message });
    return { status: 'failed', ...base, sha, failure };
  }
  const render = {
    digest: rendered.digest,
    files: rendered.files,
    objects: rendered.objects.length,
  };

  let changeSet: ChangeSet;
  try {
    const client = await deps.clusters.clientFor(target);
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
    log('error', 'reconcile failed', { sha, stage: failure.stage, error: failure.message });
    return { status: 'failed', ...base, sha, render, failure };
  }

  const counts: Record<string, number> = {};
  for (const entry of changeSet.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  if (!changeSet.ok) {
    const failure: StageFailure = {
      stage: 'apply',
      message: changeSet.errors.join('\n') || 'apply did not complete',
    };
    log('error', 'reconcile failed', { sha, stage: 'apply', counts, errors: changeSet.errors });
    return { status: 'failed', ...base, sha, render, changeSet, failure };
  }
  log('info', 'reconciled', { sha, counts });
  return { status: 'applied', ...base, sha, render, changeSet };
}
