/**
 * How a deploy is recorded on GitHub, for every kind of app: a Deployment (environment = the
 * app) with its statuses, and the commit status `plumbline/<app>` on the deployed commit, kept
 * in step. A repository that is not on GitHub (a Git source) records nothing here: its outcome
 * goes to the logs and the history. Each description is redacted with the job's ledger before it is cut to GitHub's 140
 * characters (a cut value would escape the redactor). Recording is best effort: a GitHub
 * failure is logged, never undoes the deploy.
 */
import type { RefusedJob } from '../jobs/resolve-job.ts';
import type { DeploymentState, GitHost } from '../ports/git-host.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { type StatusEvent, statusDescription } from '../report/github.ts';
import { redacted } from '../report/redacted.ts';
import { bestEffort } from './flow-deps.ts';
import { type FlowFailure, failureOf } from './flow-failure.ts';
import type { JobDeps } from './job-secrets.ts';

/** The commit status context of an app. */
export function statusContext(app: string): string {
  return `plumbline/${app}`;
}

/** Records the progress of one deploy. */
export interface DeploymentRecord {
  /** The GitHub Deployment's id, once `start` created it. */
  readonly deploymentId: number | undefined;
  /** Creates the Deployment (described by the recorder's `deployment` event). */
  start(): Promise<void>;
  /** A Deployment status and the commit status; `link` (http(s) only) is their target URL. */
  record(state: DeploymentState, event: StatusEvent, link?: string): Promise<void>;
}

/** The recorder of one deploy; nothing is written to GitHub before `start` or `record`. */
export function deploymentRecorder(
  resolved: { sha: string; github?: GitHost; repo: RegisteredRepo; app: { name: string } },
  deployment: StatusEvent,
  deps: Pick<JobDeps, 'logger' | 'ledger'>,
): DeploymentRecord {
  const { sha, app, github: gitHost, repo } = resolved;
  const context = statusContext(app.name);
  let deploymentId: number | undefined;
  if (!gitHost) return { deploymentId, async start() {}, async record() {} };
  return {
    get deploymentId() {
      return deploymentId;
    },
    async start(): Promise<void> {
      deploymentId = await bestEffort(deps.logger, `${context}: creating the deployment`, () =>
        gitHost.createDeployment(repo.ref, {
          ref: sha,
          environment: app.name,
          description: statusDescription(redacted(deployment, deps.ledger)),
        }),
      );
    },
    async record(state: DeploymentState, event: StatusEvent, link?: string): Promise<void> {
      const text = statusDescription(redacted(event, deps.ledger));
      const logUrl = link?.startsWith('https://') || link?.startsWith('http://') ? link : undefined;
      if (deploymentId !== undefined) {
        const id = deploymentId;
        await bestEffort(deps.logger, `${context}: deployment status`, () =>
          gitHost.createDeploymentStatus(repo.ref, id, state, text, logUrl ? { logUrl } : {}),
        );
      }
      const commitState =
        state === 'in_progress' || state === 'queued'
          ? 'pending'
          : state === 'success'
            ? 'success'
            : state === 'error'
              ? 'error'
              : 'failure';
      await bestEffort(deps.logger, `${context}: commit status`, () =>
        gitHost.createCommitStatus(repo.ref, sha, {
          state: commitState,
          context,
          description: text,
          ...(logUrl ? { targetUrl: logUrl } : {}),
        }),
      );
    },
  };
}

/** Creates the GitHub Deployment of a deploy at once and returns its recorder. */
export async function startDeploymentRecord(
  resolved: Parameters<typeof deploymentRecorder>[0],
  deployment: StatusEvent,
  deps: Pick<JobDeps, 'logger' | 'ledger'>,
): Promise<DeploymentRecord> {
  const recorder = deploymentRecorder(resolved, deployment, deps);
  await recorder.start();
  return recorder;
}

/**
 * Reports an app whose target the runtime settings refuse: a failed commit status
 * `plumbline/<app>` on the head it would have deployed (no Deployment: nothing started), and
 * an error in the log. Returns the failure for the outcome.
 */
export async function reportRefusedTarget(
  refused: RefusedJob,
  deps: Pick<JobDeps, 'logger' | 'ledger'>,
): Promise<FlowFailure> {
  const failure = failureOf(refused.error, 'config');
  await deploymentRecorder(refused, { kind: 'failed', failure }, deps).record('failure', {
    kind: 'failed',
    failure,
  });
  deps.logger.log('error', 'reconcile refused', {
    repo: refused.repo.fullName,
    app: refused.app.name,
    sha: refused.sha,
    error: failure.message,
  });
  return failure;
}
