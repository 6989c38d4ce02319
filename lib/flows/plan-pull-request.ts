/**
 * The pull request flow: every app the pull request affects is planned against its target,
 * dry run only, and the result is shown twice: one sticky comment (updated in place) and a
 * check run `plumbline/plan` on the head commit, failing with annotations at the file and
 * line of a render or config error. The job is level-triggered: it re-reads the pull request,
 * so a closed one only gets its comment marked outdated, and a newer head is what is planned.
 *
 * Security: which apps are planned, and against which target, is the trusted configuration's
 * decision (`lib/config/trusted-config.ts`: the trusted branch's `plumbline.yaml` and the
 * operator's bindings), never the pull request's: its `plumbline.yaml` changes take effect
 * once merged. Fork pull requests are not planned unless the trusted configuration says
 * `allowForkPlans: true`: their render inputs could exfiltrate data through a plan.
 */
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import type { AppConfig } from '../config/repo-config.ts';
import { loadTrustedConfig, type TrustedConfig, targetFor } from '../config/trusted-config.ts';
import { assertDestinations } from '../credentials/namespace-guard.ts';
import { planFilesForPullRequest } from '../hosts/files-flows.ts';
import type { PlanJob } from '../jobs/job.ts';
import { isTransient } from '../jobs/transient.ts';
import { planApp } from '../plan/plan.ts';
import type { CheckRunInput, GitHost, PullRequestInfo, RepoRef } from '../ports/git-host.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { type RenderResult, renderApp } from '../render/index.ts';
import {
  annotationBatches,
  notPlannedCheck,
  planCheckOutput,
  planningCheck,
} from '../report/github.ts';
import {
  markOutdated,
  notPlannedComment,
  PLAN_MARKER,
  pullRequestComment,
} from '../report/markdown.ts';
import type { AppPlanResult, PullRequestPlan } from '../report/outcomes.ts';
import { type Redacted, redacted } from '../report/redacted.ts';
import type { FileTree } from '../source/file-tree.ts';
import { appImpact, changedFiles } from './affected-apps.ts';
import { bestEffort, type FlowDeps } from './flow-deps.ts';
import { failureOf } from './flow-failure.ts';
import { inJobScope, type JobDeps } from './job-secrets.ts';
import { planStatusContext, stampOf, stampText } from './reviewed-plan.ts';

export type { AppPlanResult, PullRequestPlan } from '../report/outcomes.ts';

/** The check run's name. */
export const PLAN_CHECK_NAME = 'plumbline/plan';

/** How a plan job ended. */
export type PlanJobOutcome =
  | { status: 'planned'; plan: PullRequestPlan; conclusion: 'success' | 'neutral' | 'failure' }
  | { status: 'not-planned'; reason: string }
  | { status: 'outdated' | 'skipped'; reason: string };

/**
 * Runs a plan job, in its own secrets scope: every value decrypted for it is masked in the
 * comment, the check run, the logs and the outcome.
 */
export function planPullRequest(job: PlanJob, deps: FlowDeps): Promise<Redacted<PlanJobOutcome>> {
  return inJobScope(deps, (scoped) => planInScope(job, scoped));
}

async function planInScope(job: PlanJob, deps: JobDeps): Promise<PlanJobOutcome> {
  const repo = deps.registry.lookup(job.repo);
  if (!repo) return { status: 'skipped', reason: `repository ${job.repo} is not configured` };
  if (repo.git) {
    return {
      status: 'skipped',
      reason: `repository ${job.repo} is a Git source: no pull requests`,
    };
  }
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

  // An invalid trusted configuration is reported below, as the plan's failure.
  let trusted: TrustedConfig | undefined;
  let trustedError: unknown;
  try {
    trusted = await loadTrustedConfig(repo, gitHost);
  } catch (error) {
    if (isTransient(error)) throw error;
    trustedError = error;
  }
  if (!sameRepo(pull.headRepo, repo.fullName) && trusted?.config.allowForkPlans !== true) {
    const reason = `this pull request comes from the fork ${pull.headRepo || '(deleted)'}. Plumbline does not plan fork pull requests: their files could read secrets or credentials through a plan. A maintainer can set \`allowForkPlans: true\` in \`${REPO_CONFIG_FILE}\` of the trusted branch to allow it.`;
    await upsertComment(gitHost, repo.ref, pull.number, notPlannedComment(reason));
    await publishCheck(gitHost, repo.ref, {
      name: PLAN_CHECK_NAME,
      headSha: pull.headSha,
      status: 'completed',
      conclusion: 'neutral',
      ...notPlannedCheck(reason),
    });
    log('info', 'fork pull request not planned', { head: pull.headRepo });
    return { status: 'not-planned', reason };
  }

  const checkId = await bestEffort(deps.logger, `${PLAN_CHECK_NAME}: creating the check run`, () =>
    gitHost.createCheckRun(repo.ref, {
      name: PLAN_CHECK_NAME,
      headSha: pull.headSha,
      status: 'in_progress',
      ...planningCheck,
    }),
  );

  const plan: PullRequestPlan = {
    repo: repo.fullName,
    number: pull.number,
    headSha: pull.headSha,
    apps: [],
  };
  try {
    if (trustedError !== undefined) throw trustedError;
    plan.apps = await planApps(repo, gitHost, pull, trusted, deps);
  } catch (error) {
    if (isTransient(error)) throw error;
    const failure = failureOf(error, 'source');
    plan.apps = [{ kind: 'failed', app: REPO_CONFIG_FILE, failure }];
  }

  // A dry run that failed for an object means the apply would fail the same way.
  const failed = plan.apps.some(
    (a) => a.kind === 'failed' || (a.kind !== 'unaffected' && a.plan.summary.errors > 0),
  );
  const conclusion = failed
    ? 'failure'
    : plan.apps.some((a) => a.kind === 'planned' || a.kind === 'planned-files')
      ? 'success'
      : 'neutral';
  // The reporting boundary: from here on only redacted data is rendered.
  const safe = redacted(plan, deps.ledger);
  await stampPlans(gitHost, repo.ref, pull.headSha, plan, deps);
  await upsertComment(gitHost, repo.ref, pull.number, pullRequestComment(safe));
  const output: CheckRunInput = {
    name: PLAN_CHECK_NAME,
    headSha: pull.headSha,
    status: 'completed',
    conclusion,
    ...planCheckOutput(safe, REPO_CONFIG_FILE),
  };
  await publishCheck(gitHost, repo.ref, output, checkId);
  log('info', 'pull request planned', { head: pull.headSha, conclusion, title: output.title });
  return { status: 'planned', plan, conclusion };
}

/**
 * Stamps each app's plan on the head commit (`reviewed-plan.ts`), so the deploy of the merge
 * can tell whether it applies what was shown here. The stamp holds digests only.
 */
async function stampPlans(
  gitHost: GitHost,
  repo: RepoRef,
  headSha: string,
  plan: PullRequestPlan,
  deps: FlowDeps,
): Promise<void> {
  for (const result of plan.apps) {
    if (result.kind !== 'planned') continue;
    await bestEffort(deps.logger, `${planStatusContext(result.app)}: plan stamp`, () =>
      gitHost.createCommitStatus(repo, headSha, {
        state: result.plan.summary.errors > 0 ? 'failure' : 'success',
        context: planStatusContext(result.app),
        description: stampText(stampOf(result.plan)),
      }),
    );
  }
}

function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Plans every trusted app that deploys from the pull request's base branch, rendered from its
 * head. A change to `plumbline.yaml` in the pull request is noted, not followed.
 */
async function planApps(
  repo: RegisteredRepo,
  gitHost: GitHost,
  pull: PullRequestInfo,
  trusted: TrustedConfig | undefined,
  deps: JobDeps,
): Promise<AppPlanResult[]> {
  if (!trusted) return [];
  const apps = trusted.config.apps.filter((a) => a.branch === pull.baseRef);
  if (apps.length === 0) return [];
  const tree = await gitHost.treeAt(repo.ref, pull.headSha);
  const change = await changedFiles(gitHost, repo.ref, { base: pull.baseSha, head: pull.headSha });
  const results: AppPlanResult[] = [];
  if (change.kind === 'listed' && change.paths.has(REPO_CONFIG_FILE)) {
    results.push({
      kind: 'unaffected',
      app: REPO_CONFIG_FILE,
      reason: `changed in this pull request; apps and their targets are planned as the trusted ${REPO_CONFIG_FILE} (on ${trusted.branch}) defines them, and the change takes effect once merged there`,
    });
  }
  for (const app of apps) {
    results.push(await planOne(repo, tree, app, trusted, change, deps));
  }
  return results;
}

async function planOne(
  repo: RegisteredRepo,
  tree: FileTree,
  app: AppConfig,
  trusted: TrustedConfig,
  change: Awaited<ReturnType<typeof changedFiles>>,
  deps: JobDeps,
): Promise<AppPlanResult> {
  if (app.kind === 'files') {
    return planFilesForPullRequest(repo, tree, app, trusted.config, change, deps);
  }
  let rendered: RenderResult | undefined;
  let renderError: unknown;
  try {
    rendered = await (deps.render ?? renderApp)(tree, app.path, {
      decryptor: deps.decryptorFor(repo, app),
      app: app.name,
      ...(deps.helm ? { helm: deps.helm } : {}),
      ...(app.helm ? { helmSource: { helm: app.helm, namespace: app.namespace } } : {}),
    });
  } catch (error) {
    renderError = error;
  }
  const impact = appImpact(app, trusted.config, change, rendered);
  if (!impact.affected) return { kind: 'unaffected', app: app.name, reason: impact.reason };
  if (!rendered)
    return { kind: 'failed', app: app.name, failure: failureOf(renderError, 'render') };
  try {
    // The target is the operator's binding for the trusted entry; the pull request names none.
    const target = targetFor(app, repo, deps.targets);
    const client = await deps.clusters.clientFor(target);
    await assertDestinations(target, app.name, rendered.objects, app.namespace, client);
    const plan = await planApp(
      {
        app: app.name,
        namespace: app.namespace,
        objects: rendered.objects,
        revision: tree.revision,
        sensitive: new Set(rendered.sensitive),
        secrets: deps.ledger,
      },
      client,
      undefined,
      { failOnConflict: app.failOnConflict, pruneContents: app.pruneContents },
    );
    return {
      kind: 'planned',
      app: app.name,
      target: target.name,
      plan,
      ...(rendered.charts.length > 0 ? { charts: rendered.charts } : {}),
    };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { kind: 'failed', app: app.name, failure: failureOf(error, 'plan') };
  }
}

/** Creates (or completes) the check run, sending annotations 50 per request. */
async function publishCheck(
  gitHost: GitHost,
  repo: RepoRef,
  input: CheckRunInput,
  existingId?: number,
): Promise<void> {
  const [firstBatch, ...rest] = annotationBatches(input.annotations ?? []);
  const first = { ...input, annotations: firstBatch ?? [] };
  let id = existingId;
  if (id === undefined) id = await gitHost.createCheckRun(repo, first);
  else await gitHost.updateCheckRun(repo, id, first);
  for (const annotations of rest) {
    await gitHost.updateCheckRun(repo, id, {
      title: input.title,
      summary: input.summary,
      annotations,
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
