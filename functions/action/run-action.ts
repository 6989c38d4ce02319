/**
 * The GitHub Action: Plumbline for teams that will not expose a webhook. The workflow's event
 * goes through the webhook's own routing (`route`: which apps a push concerns, which pull
 * requests get planned), and each job through the server's flows (`lib/flows`), so a pull
 * request gets the same sticky comment and check run, and a push the same guarded apply,
 * Deployment and commit status as with `plumbline serve`. It authenticates to GitHub with the
 * workflow's token. Where credentials may go is the operator's, as on the server: target
 * bindings come from the runtime settings (`PLUMBLINE_TARGETS`, or the `config` file), their
 * credentials from the workflow (`PLUMBLINE_SECRET_<NAME>` from secrets, AWS credentials from
 * OIDC, a kubeconfig written by an earlier step).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, GitHubError, messageOf, PlumblineError } from '../../lib/errors.ts';
import { deployApp } from '../../lib/flows/deploy-app.ts';
import type { DeployOutcome } from '../../lib/flows/deploy-outcome.ts';
import { type PlanJobOutcome, planPullRequest } from '../../lib/flows/plan-pull-request.ts';
import { type SweepOutcome, sweepApp, sweepJobs } from '../../lib/flows/sweep.ts';
import type { Job } from '../../lib/jobs/job.ts';
import type { JobContext } from '../../lib/jobs/job-context.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import { pullRequestComment } from '../../lib/report/markdown.ts';
import type { PullRequestPlan } from '../../lib/report/outcomes.ts';
import type { Redacted } from '../../lib/report/redacted.ts';
import { changeSetSummary } from '../../lib/report/summary.ts';
import { route } from '../../lib/webhook/app.ts';
import type { CliIo } from '../cli/command.ts';
import { nodeFlowDeps, reconcilerOptionsFromEnv } from '../node/reconciler.ts';
import { loadSettings, type NodeSettings } from '../node/settings.ts';
import { jobContextOf } from '../node.ts';
import { type ActionCommand, type ActionInputs, actionInputs } from './action-inputs.ts';
import { actionsLogger, annotation, appendSummary, setOutput } from './workflow-commands.ts';

/** The events each command runs on. */
const EVENTS: Record<ActionCommand, readonly string[] | undefined> = {
  plan: ['pull_request', 'pull_request_target'],
  apply: ['push'],
  sweep: undefined,
};

/** What one app (or pull request) came to, as the step's outputs and summary show it. */
export interface ActionResult {
  app: string;
  status: string;
  detail: string;
  failed: boolean;
}

/** The Actions environment a run reads (set by the runner). */
interface RunnerContext {
  repository: string;
  eventName: string;
  event: Record<string, unknown>;
  apiUrl: string;
  runId: string;
}

function runnerContext(env: Record<string, string | undefined>): RunnerContext {
  const need = (name: string) => {
    const value = env[name];
    if (!value) {
      throw new ConfigError(`${name} is not set: the Action runs inside a GitHub Actions job`, {
        hint: 'Use it as a step (uses: …/plumbline@v0); the runner sets GITHUB_* itself.',
      });
    }
    return value;
  };
  const repository = need('GITHUB_REPOSITORY');
  const eventName = need('GITHUB_EVENT_NAME');
  const eventPath = need('GITHUB_EVENT_PATH');
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(eventPath, 'utf8'));
  } catch (error) {
    throw new ConfigError(`GITHUB_EVENT_PATH ${eventPath}: cannot read the event`, {
      cause: error,
    });
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new ConfigError(`GITHUB_EVENT_PATH ${eventPath}: the event is not a JSON object`);
  }
  return {
    repository,
    eventName,
    event: event as Record<string, unknown>,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    runId: `actions-${env.GITHUB_RUN_ID ?? 'run'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
  };
}

/**
 * The runtime settings of a run: the `config` file and the environment, as `plumbline serve`
 * reads them, with the workflow's token and API, and the repository the workflow runs in as
 * the only one served (the settings may describe it, say its SOPS keys; they may not add
 * others).
 */
function actionSettings(
  inputs: ActionInputs,
  runner: RunnerContext,
  env: Record<string, string | undefined>,
): NodeSettings {
  const settings = loadSettings({
    ...(inputs.config ? { file: inputs.config } : {}),
    env: { ...env, GITHUB_TOKEN: inputs.githubToken, PLUMBLINE_GITHUB_API_URL: runner.apiUrl },
    flags: {},
  });
  if (settings.repositories.length === 0) {
    return { ...settings, repositories: [{ fullName: runner.repository }] };
  }
  const own = settings.repositories.find(
    (repo) => repo.fullName.toLowerCase() === runner.repository.toLowerCase(),
  );
  if (!own) {
    throw new ConfigError(
      `the runtime settings list repositories, and ${runner.repository}, where this workflow runs, is not among them`,
      {
        hint: 'List it (the Action deploys only its own repository), or leave repositories out.',
      },
    );
  }
  return { ...settings, repositories: [own] };
}

/** The jobs this run does: the webhook's routing of the event, or every app for a sweep. */
async function jobsFor(
  inputs: ActionInputs,
  runner: RunnerContext,
  context: JobContext,
): Promise<{ jobs: Job[]; reason?: string }> {
  const events = EVENTS[inputs.command];
  if (events && !events.includes(runner.eventName)) {
    throw new ConfigError(
      `input 'command': ${inputs.command} runs on ${events.join(' or ')} events, and this workflow runs on ${runner.eventName}`,
      { hint: 'plan on pull_request, apply on push, sweep on schedule or workflow_dispatch.' },
    );
  }
  if (inputs.command === 'sweep') {
    return { jobs: await sweepJobs(context, { sweepId: runner.runId, logger: context.logger }) };
  }
  const jobs: Job[] = [];
  const answer = await route(
    {
      secrets: [],
      registry: context.registry,
      gitHostFor: context.gitHostFor,
      queue: { send: async (job) => void jobs.push(job) },
      logger: context.logger,
    },
    runner.eventName === 'pull_request_target' ? 'pull_request' : runner.eventName,
    runner.runId,
    runner.event,
  );
  return { jobs, ...(answer.reason ? { reason: answer.reason } : {}) };
}

function planResults(outcome: PlanJobOutcome, number: number): ActionResult[] {
  if (outcome.status !== 'planned') {
    return [{ app: `#${number}`, status: outcome.status, detail: outcome.reason, failed: false }];
  }
  return outcome.plan.apps.map((result): ActionResult => {
    if (result.kind === 'unaffected') {
      return { app: result.app, status: 'unaffected', detail: result.reason, failed: false };
    }
    if (result.kind === 'failed') {
      return {
        app: result.app,
        status: 'failed',
        detail: `${result.failure.stage} failed: ${result.failure.message}`,
        failed: true,
      };
    }
    const { create, update, delete: remove, errors } = result.plan.summary;
    return {
      app: result.app,
      status: errors > 0 ? 'failed' : 'planned',
      detail: `${create} to create, ${update} to update, ${remove} to delete${errors > 0 ? `, ${errors} error(s)` : ''}`,
      failed: errors > 0,
    };
  });
}

function deployResult(outcome: DeployOutcome): ActionResult {
  if (outcome.status === 'skipped') {
    return { app: outcome.app, status: 'skipped', detail: outcome.reason, failed: false };
  }
  if (outcome.status === 'failed') {
    const failure = outcome.failure;
    return {
      app: outcome.app,
      status: 'failed',
      detail: failure ? `${failure.stage} failed: ${failure.message}` : 'apply failed',
      failed: true,
    };
  }
  return {
    app: outcome.app,
    status: 'applied',
    detail: `${outcome.sha.slice(0, 7)}: ${outcome.changeSet ? changeSetSummary(outcome.changeSet) : 'applied'}`,
    failed: false,
  };
}

function sweepResult(outcome: SweepOutcome): ActionResult {
  switch (outcome.status) {
    case 'skipped':
      return { app: outcome.app, status: 'skipped', detail: outcome.reason, failed: false };
    case 'applied':
      return { ...deployResult(outcome.deploy), status: `applied missed head` };
    default:
      return {
        app: outcome.app,
        status: outcome.status,
        detail:
          outcome.error ??
          (outcome.issue && outcome.issue !== 'none' ? `drift issue ${outcome.issue}` : ''),
        failed: outcome.status === 'failed',
      };
  }
}

/** A job's failure (thrown, not reported by the flow) as a result, with what to do about it. */
function thrownResult(job: Job, error: unknown): ActionResult {
  const name = job.kind === 'plan' ? `#${job.number}` : job.app;
  let detail = error instanceof PlumblineError ? error.describe() : messageOf(error);
  if (error instanceof GitHubError && error.status === 403) {
    detail +=
      '\n  hint: the workflow token lacks a permission; give the job permissions: contents: read, pull-requests: write, checks: write, statuses: write, deployments: write, issues: write.';
  }
  return { app: name, status: 'failed', detail, failed: true };
}

/** Runs one job through its flow. */
async function runJob(
  job: Job,
  deps: ReturnType<ReturnType<typeof nodeFlowDeps>>,
  logger: Logger,
  summaryFile: string | undefined,
): Promise<ActionResult[]> {
  switch (job.kind) {
    case 'plan': {
      const outcome = await planPullRequest(job, deps);
      if (outcome.status === 'planned') {
        // The whole outcome passed the flow's redactor; narrowing it loses the brand.
        appendSummary(summaryFile, pullRequestComment(outcome.plan as Redacted<PullRequestPlan>));
      }
      const results = planResults(outcome, job.number);
      if (outcome.status === 'planned' && outcome.conclusion === 'failure') {
        logger.log('error', `pull request #${job.number}: the plan failed (see the check run)`);
      }
      return results;
    }
    case 'reconcile':
      return [deployResult(await deployApp(job, deps))];
    case 'sweep':
      return [sweepResult(await sweepApp(job, deps))];
  }
}

/**
 * Runs the Action with the runner's environment; returns the exit code: 0 done, 1 an app
 * failed (or its plan did), 2 bad inputs or environment.
 */
export async function runAction(
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  let inputs: ActionInputs;
  let runner: RunnerContext;
  try {
    inputs = actionInputs(env);
    runner = runnerContext(env);
  } catch (error) {
    const message = error instanceof PlumblineError ? error.describe() : messageOf(error);
    io.stdout(annotation('error', `plumbline: ${message}`));
    return 2;
  }
  const logger = actionsLogger(io.stdout);
  const results: ActionResult[] = [];
  let reason: string | undefined;
  try {
    const settings = actionSettings(inputs, runner, env);
    const context: JobContext = jobContextOf(settings, logger);
    const deps = nodeFlowDeps({
      ...reconcilerOptionsFromEnv(env),
      ...(inputs.kubeconfig ? { kubeconfig: inputs.kubeconfig } : {}),
      ...(inputs.waitMs !== undefined ? { health: { timeoutMs: inputs.waitMs } } : {}),
    })(context);
    const planned = await jobsFor(inputs, runner, context);
    reason = planned.reason;
    for (const job of planned.jobs) {
      try {
        results.push(...(await runJob(job, deps, logger, env.GITHUB_STEP_SUMMARY)));
      } catch (error) {
        results.push(thrownResult(job, error));
      }
    }
  } catch (error) {
    const message = error instanceof PlumblineError ? error.describe() : messageOf(error);
    io.stdout(annotation('error', `plumbline ${inputs.command}: ${message}`));
    return 2;
  }
  for (const result of results) {
    const line = `${result.app}: ${result.status}${result.detail ? ` (${result.detail})` : ''}`;
    if (result.failed)
      io.stdout(annotation('error', line, { title: `plumbline ${inputs.command}` }));
    else logger.log('info', line);
  }
  if (results.length === 0) {
    logger.log('info', `nothing to ${inputs.command}${reason ? `: ${reason}` : ''}`);
  }
  const failed = results.some((result) => result.failed);
  setOutput(env.GITHUB_OUTPUT, 'result', failed ? 'failure' : 'success');
  setOutput(
    env.GITHUB_OUTPUT,
    'apps',
    JSON.stringify(results.map(({ app, status, detail }) => ({ app, status, detail }))),
  );
  if (inputs.command !== 'plan' && results.length > 0) {
    appendSummary(
      env.GITHUB_STEP_SUMMARY,
      [
        `### Plumbline ${inputs.command}`,
        '',
        '| app | result | detail |',
        '| --- | --- | --- |',
        ...results.map(
          (r) =>
            `| ${tableCell(r.app)} | ${tableCell(r.status)} | ${tableCell(r.detail.split('\n')[0] ?? '')} |`,
        ),
        '',
      ].join('\n'),
    );
  }
  return failed ? 1 : 0;
}

/** Text from the repository made inert inside a Markdown table cell (no HTML, no new cell). */
function tableCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}
