/**
 * How a deploy is recorded on GitHub, for every kind of app: a Deployment (environment = the
 * app) with its statuses, and the commit status `plumbline/<app>` on the deployed commit. A
 * repository that is not on GitHub (a Git source) records nothing here: its outcome goes to
 * the logs and the history. Each
 * description is redacted with the job's ledger before it is cut to GitHub's 140 characters
 * (a cut value would escape the redactor). Recording is best effort: a GitHub failure is
 * logged, never undoes the deploy.
 */
import type { GitHost } from '../ports/git-host.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { type StatusEvent, statusDescription } from '../report/github.ts';
import { redacted } from '../report/redacted.ts';
import { bestEffort } from './flow-deps.ts';
import type { JobDeps } from './job-secrets.ts';

/** The commit status context of an app. */
export function statusContext(app: string): string {
  return `plumbline/${app}`;
}

/** Records the progress of one deploy. */
export interface DeploymentRecord {
  deploymentId: number | undefined;
  record(state: 'in_progress' | 'success' | 'failure' | 'error', event: StatusEvent): Promise<void>;
}

/** Creates the GitHub Deployment of a deploy (described by `deployment`) and its recorder. */
export async function startDeploymentRecord(
  resolved: { sha: string; github?: GitHost; repo: RegisteredRepo; app: { name: string } },
  deployment: StatusEvent,
  deps: Pick<JobDeps, 'logger' | 'ledger'>,
): Promise<DeploymentRecord> {
  const { sha, app, github, repo } = resolved;
  if (!github) return { deploymentId: undefined, record: async () => undefined };
  const ref = repo.ref;
  const context = statusContext(app.name);
  const deploymentId = await bestEffort(deps.logger, `${context}: creating the deployment`, () =>
    github.createDeployment(ref, {
      ref: sha,
      environment: app.name,
      description: statusDescription(redacted(deployment, deps.ledger)),
    }),
  );
  const record = async (
    state: 'in_progress' | 'success' | 'failure' | 'error',
    event: StatusEvent,
  ) => {
    const text = statusDescription(redacted(event, deps.ledger));
    if (deploymentId !== undefined) {
      await bestEffort(deps.logger, `${context}: deployment status`, () =>
        github.createDeploymentStatus(ref, deploymentId, state, text),
      );
    }
    const commitState =
      state === 'in_progress' ? 'pending' : state === 'success' ? 'success' : state;
    await bestEffort(deps.logger, `${context}: commit status`, () =>
      github.createCommitStatus(ref, sha, { state: commitState, context, description: text }),
    );
  };
  return { deploymentId, record };
}
