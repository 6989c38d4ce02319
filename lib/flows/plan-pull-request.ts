/**
 * The pull request flow: every app the pull request affects is planned against its target,
 * dry run only, and the result is shown twice: one sticky comment (updated in place) and a
 * check run `plumbline/plan` on the head commit, failing with annotations at the file and
 * line of a render or config error. The job is level-triggered: it re-reads the pull request,
 * so a closed one only gets its comment marked outdated, and a newer head is what is planned.
 *
 * Security: targets (servers, credentials) come from the base branch's `plumbline.yaml`, never
 * from the pull request, and fork pull requests are not planned unless the base configuration
 * says `allowForkPlans: true`: their render inputs could exfiltrate data through a plan.
 */
import { loadRepoConfig } from '../config/load-repo-config.ts';
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import type { AppConfig, RepoConfig } from '../config/repo-config.ts';
import { PlanError } from '../errors.ts';
import type { PlanJob } from '../jobs/job.ts';
import { isTransient } from '../jobs/transient.ts';
import { type Plan, planApp } from '../plan/plan.ts';
import type {
  CheckAnnotation,
  CheckRunInput,
  GitHost,
  PullRequestInfo,
  RepoRef,
} from '../ports/git-host.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { type RenderResult, renderApp } from '../render/index.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';
import type { FileTree } from '../source/file-tree.ts';
import { appImpact, changedFiles, configAt } from './affected-apps.ts';
import { bestEffort, type FlowDeps } from './flow-deps.ts';
import { type FlowFailure, failureOf } from './flow-failure.ts';
import {
  markOutdated,
  PLAN_MARKER,
  renderNotPlannedComment,
  renderPullRequestComment,
} from './pull-request-comment.ts';

/** The check run's name. */
export const PLAN_CHECK_NAME = 'plumbline/plan';

/** GitHub takes at most this many annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** One app's part of a pull request plan. */
export type AppPlanResult =
  | { kind: 'planned'; app: string; target: string; plan: Plan }
  | { kind: 'unaffected'; app: string; reason: string }
  | { kind: 'failed'; app: string; failure: FlowFailure };

/** A pull request's plan: plain data, rendered as a comment and a check run. */
export interface PullRequestPlan {
  repo: string;
  number: number;
  headSha: string;
  apps: AppPlanResult[];
}

/** How a plan job ended. */
export type PlanJobOutcome =
  | { status: 'planned'; plan: PullRequestPlan; conclusion: 'success' | 'neutral' | 'failure' }
  | { status: 'not-planned'; reason: string }
  | { status: 'outdated' | 'skipped'; reason: string };

/** Runs a plan job. */
export async function planPullRequest(job: PlanJob, deps: FlowDeps): Promise<PlanJobOutcome> {
  const repo = deps.registry.lookup(job.repo);
  if (!repo) return { status: 'skipped', reason: `repository ${job.repo} is not configured` };
  const gitHost = deps.gitHostFor(repo);
  const pull = await gitHost.pullRequest(repo.ref, job.number);
  const log = (level: 'info' | 'warn' | 'error', message: string, fields = {}) =>
    deps.logger.log(level, message, {
      repo: repo.fullName,
      pull: job.number,
      delivery: job.deliveryId,
      ...fields,
    });

  if (pull.state === 'closed') {
    const marked = await markCommentOutdated(gitHost, repo.ref, pull);
    log('info', 'pull request closed', { marked });
    return { status: 'outdated', reason: marked ? 'comment marked outdated' : 'no comment' };
  }

  const baseConfig = await configAt(gitHost, repo.ref, pull.baseSha);
  if (!sameRepo(pull.headRepo, repo.fullName) && baseConfig?.allowForkPlans !== true) {
    const reason = `this pull request comes from the fork ${pull.headRepo || '(deleted)'}. Plumbline does not plan fork pull requests: their files could read secrets or credentials through a plan. A maintainer can set \`allowForkPlans: true\` in \`${REPO_CONFIG_FILE}\` of the base branch to allow it.`;
    await upsertComment(gitHost, repo.ref, pull.number, renderNotPlannedComment(reason));
    await publishCheck(gitHost, repo.ref, {
      name: PLAN_CHECK_NAME,
      headSha: pull.headSha,
      status: 'completed',
      conclusion: 'neutral',
      title: 'Not planned: fork pull request',
      summary: reason,
    });
    log('info', 'fork pull request not planned', { head: pull.headRepo });
    return { status: 'not-planned', reason };
  }

  const checkId = await bestEffort(deps.logger, `${PLAN_CHECK_NAME}: creating the check run`, () =>
    gitHost.createCheckRun(repo.ref, {
      name: PLAN_CHECK_NAME,
      headSha: pull.headSha,
      status: 'in_progress',
      title: 'Planning',
      summary: 'Plumbline is planning the apps this pull request affects (dry run).',
    }),
  );

  const annotations: CheckAnnotation[] = [];
  const plan: PullRequestPlan = {
    repo: repo.fullName,
    number: pull.number,
    headSha: pull.headSha,
    apps: [],
  };
  try {
    plan.apps = await planApps(repo, gitHost, pull, baseConfig, deps, annotations);
  } catch (error) {
    if (isTransient(error)) throw error;
    const failure = failureOf(error, 'source');
    plan.apps = [{ kind: 'failed', app: REPO_CONFIG_FILE, failure }];
    if (failure.file) annotations.push(annotationOf(failure, failure.file));
  }

  // A dry run that failed for an object means the apply would fail the same way.
  const failed = plan.apps.some(
    (a) => a.kind === 'failed' || (a.kind === 'planned' && a.plan.summary.errors > 0),
  );
  const conclusion = failed
    ? 'failure'
    : plan.apps.some((a) => a.kind === 'planned')
      ? 'success'
      : 'neutral';
  const body = renderPullRequestComment(plan);
  await upsertComment(gitHost, repo.ref, pull.number, body);
  const output: CheckRunInput = {
    name: PLAN_CHECK_NAME,
    headSha: pull.headSha,
    status: 'completed',
    conclusion,
    title: checkTitle(plan),
    summary: body.replace(PLAN_MARKER, '').trimStart(),
    annotations,
  };
  await publishCheck(gitHost, repo.ref, output, checkId);
  log('info', 'pull request planned', { head: pull.headSha, conclusion, title: output.title });
  return { status: 'planned', plan, conclusion };
}

function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Plans every app of the head configuration that deploys from the base branch. */
async function planApps(
  repo: RegisteredRepo,
  gitHost: GitHost,
  pull: PullRequestInfo,
  baseConfig: RepoConfig | undefined,
  deps: FlowDeps,
  annotations: CheckAnnotation[],
): Promise<AppPlanResult[]> {
  const tree = await gitHost.treeAt(repo.ref, pull.headSha);
  const headConfig = await loadRepoConfig(tree);
  if (!headConfig) return [];
  const apps = headConfig.apps.filter((a) => a.branch === pull.baseRef);
  const change = await changedFiles(gitHost, repo.ref, { base: pull.baseSha, head: pull.headSha });
  const results: AppPlanResult[] = [];
  for (const app of apps) {
    const result = await planOne(repo, tree, app, headConfig, baseConfig, change, deps);
    if (result.kind === 'failed') {
      annotations.push(annotationOf(result.failure, result.failure.file ?? REPO_CONFIG_FILE));
    }
    results.push(result);
  }
  return results;
}

async function planOne(
  repo: RegisteredRepo,
  tree: FileTree,
  app: AppConfig,
  headConfig: RepoConfig,
  baseConfig: RepoConfig | undefined,
  change: Awaited<ReturnType<typeof changedFiles>>,
  deps: FlowDeps,
): Promise<AppPlanResult> {
  let rendered: RenderResult | undefined;
  let renderError: unknown;
  try {
    rendered = await (deps.render ?? renderApp)(tree, app.path, {
      decryptor: deps.decryptorFor?.(repo, app) ?? createSopsDecryptor(),
    });
  } catch (error) {
    renderError = error;
  }
  const impact = appImpact(app, headConfig, change, rendered);
  if (!impact.affected) return { kind: 'unaffected', app: app.name, reason: impact.reason };
  if (!rendered)
    return { kind: 'failed', app: app.name, failure: failureOf(renderError, 'render') };
  // Targets are trusted only as the base branch defines them.
  const headTarget = headConfig.targets.find((t) => t.name === app.target);
  const target = baseConfig?.targets.find((t) => t.name === app.target);
  if (!target || JSON.stringify(target) !== JSON.stringify(headTarget)) {
    const error = new PlanError(
      `${REPO_CONFIG_FILE}: app ${app.name}: target '${app.target}' is new or changed in this pull request`,
      {
        file: REPO_CONFIG_FILE,
        hint: 'Targets are read from the base branch; the plan runs once the target change is merged.',
      },
    );
    return { kind: 'failed', app: app.name, failure: failureOf(error, 'plan') };
  }
  try {
    const client = await deps.clusters.clientFor(target);
    const plan = await planApp(
      {
        app: app.name,
        namespace: app.namespace,
        objects: rendered.objects,
        revision: tree.revision,
        sensitive: new Set(rendered.sensitive),
      },
      client,
    );
    return { kind: 'planned', app: app.name, target: target.name, plan };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { kind: 'failed', app: app.name, failure: failureOf(error, 'plan') };
  }
}

function annotationOf(failure: FlowFailure, path: string): CheckAnnotation {
  const line = failure.line ?? 1;
  return {
    path,
    startLine: line,
    endLine: line,
    level: 'failure',
    title: `${failure.stage} failed`,
    message: failure.hint ? `${failure.message}\n${failure.hint}` : failure.message,
  };
}

function checkTitle(plan: PullRequestPlan): string {
  const failed = plan.apps.filter(
    (a) => a.kind === 'failed' || (a.kind === 'planned' && a.plan.summary.errors > 0),
  ).length;
  const sum = { create: 0, update: 0, delete: 0 };
  for (const result of plan.apps) {
    if (result.kind !== 'planned') continue;
    sum.create += result.plan.summary.create;
    sum.update += result.plan.summary.update;
    sum.delete += result.plan.summary.delete;
  }
  const counts = `${sum.create} to create, ${sum.update} to update, ${sum.delete} to delete`;
  return failed > 0 ? `${failed} app(s) failed · ${counts}` : counts;
}

/** Creates (or completes) the check run, sending annotations 50 per request. */
async function publishCheck(
  gitHost: GitHost,
  repo: RepoRef,
  input: CheckRunInput,
  existingId?: number,
): Promise<void> {
  const all = input.annotations ?? [];
  const first = { ...input, annotations: all.slice(0, ANNOTATIONS_PER_REQUEST) };
  let id = existingId;
  if (id === undefined) id = await gitHost.createCheckRun(repo, first);
  else await gitHost.updateCheckRun(repo, id, first);
  for (let i = ANNOTATIONS_PER_REQUEST; i < all.length; i += ANNOTATIONS_PER_REQUEST) {
    await gitHost.updateCheckRun(repo, id, {
      title: input.title,
      summary: input.summary,
      annotations: all.slice(i, i + ANNOTATIONS_PER_REQUEST),
    });
  }
}

/** The sticky comment: found by its marker and updated, or created. */
async function upsertComment(
  gitHost: GitHost,
  repo: RepoRef,
  number: number,
  body: string,
): Promise<void> {
  const comments = await gitHost.listIssueComments(repo, number);
  const existing = comments.find((c) => c.body.includes(PLAN_MARKER));
  if (!existing) await gitHost.createIssueComment(repo, number, body);
  else if (existing.body !== body) await gitHost.updateIssueComment(repo, existing.id, body);
}

async function markCommentOutdated(
  gitHost: GitHost,
  repo: RepoRef,
  pull: PullRequestInfo,
): Promise<boolean> {
  const comments = await gitHost.listIssueComments(repo, pull.number);
  const existing = comments.find((c) => c.body.includes(PLAN_MARKER));
  if (!existing) return false;
  const body = markOutdated(existing.body, pull.merged);
  if (body !== existing.body) await gitHost.updateIssueComment(repo, existing.id, body);
  return true;
}
