/**
 * How a deploy is recorded on GitHub, for every kind of app: a Deployment (environment = the
 * app) with its statuses, and the commit status `plumbline/<app>` on the deployed commit.
 * Recording is best effort: a GitHub failure is logged, never undoes the deploy.
 */
import type { ResolvedJob } from '../jobs/resolve-job.ts';
import { bestEffort, clip, type FlowDeps } from './flow-deps.ts';

/** The commit status context of an app. */
export function statusContext(app: string): string {
  return `plumbline/${app}`;
}

/** Records one deploy on GitHub: a Deployment and its statuses, and the commit status. */
export interface DeploymentRecord {
  deploymentId: number | undefined;
  record(
    state: 'in_progress' | 'success' | 'failure' | 'error',
    description: string,
  ): Promise<void>;
}

/**
 * Creates the GitHub Deployment of a deploy (best effort) and returns how to record its
 * progress, both as deployment statuses and as the commit status `plumbline/<app>`.
 */
export async function startDeploymentRecord(
  resolved: Pick<ResolvedJob, 'sha' | 'gitHost' | 'repo'> & { app: { name: string } },
  description: string,
  deps: Pick<FlowDeps, 'logger'>,
): Promise<DeploymentRecord> {
  const { sha, app, gitHost, repo } = resolved;
  const ref = repo.ref;
  const context = statusContext(app.name);
  const deploymentId = await bestEffort(deps.logger, `${context}: creating the deployment`, () =>
    gitHost.createDeployment(ref, {
      ref: sha,
      environment: app.name,
      description: clip(description, 140),
    }),
  );
  const record = async (state: 'in_progress' | 'success' | 'failure' | 'error', text: string) => {
    const clipped = clip(text, 140);
    if (deploymentId !== undefined) {
      await bestEffort(deps.logger, `${context}: deployment status`, () =>
        gitHost.createDeploymentStatus(ref, deploymentId, state, clipped),
      );
    }
    const commitState =
      state === 'in_progress' ? 'pending' : state === 'success' ? 'success' : state;
    await bestEffort(deps.logger, `${context}: commit status`, () =>
      gitHost.createCommitStatus(ref, sha, { state: commitState, context, description: clipped }),
    );
  };
  return { deploymentId, record };
}
