/**
 * The cron sweep, for now: one reconcile job for every app of every registered repository.
 * Reconciling is level-triggered, so this alone repairs every missed or failed webhook; the
 * full sweep (drift reports, self-heal only where enabled, skipping apps already at their head)
 * comes from `lib/flows` and replaces this function in the `scheduled` handler.
 */
import { parseRepoConfig, REPO_CONFIG_FILE } from '../../lib/config/parse-repo-config.ts';
import { messageOf } from '../../lib/errors.ts';
import type { Job, ReconcileJob } from '../../lib/jobs/job.ts';
import type { GitHost } from '../../lib/ports/git-host.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import type { Queue } from '../../lib/ports/queue.ts';
import type { RegisteredRepo, RepoRegistry } from '../../lib/ports/repo-registry.ts';

/** What the sweep reads and where it puts jobs. */
export interface SweepDeps {
  registry: RepoRegistry;
  gitHostFor: (repo: RegisteredRepo) => GitHost;
  queue: Queue<Job>;
  logger: Logger;
  /** The branch whose `plumbline.yaml` lists the apps. */
  configBranch: string;
}

/** What one sweep enqueued, and the repositories it could not read. */
export interface SweepResult {
  enqueued: ReconcileJob[];
  failed: { repo: string; error: string }[];
}

/** Enqueues a reconcile job per app; `sweepId` goes into each job's `deliveryId`. */
export async function enqueueSweep(deps: SweepDeps, sweepId: string): Promise<SweepResult> {
  const result: SweepResult = { enqueued: [], failed: [] };
  // Repositories are independent: one that cannot be read must not stop the others.
  await Promise.all(
    deps.registry.all().map(async (repo) => {
      try {
        const gitHost = deps.gitHostFor(repo);
        const head = await gitHost.branchHead(repo.ref, deps.configBranch);
        const file = await gitHost.readFile(repo.ref, head, REPO_CONFIG_FILE);
        if (!file) {
          deps.logger.log(
            'warn',
            `${repo.fullName}: no ${REPO_CONFIG_FILE} on ${deps.configBranch}`,
          );
          return;
        }
        const config = parseRepoConfig(new TextDecoder().decode(file), REPO_CONFIG_FILE);
        for (const app of config.apps) {
          const job: ReconcileJob = {
            kind: 'reconcile',
            repo: repo.fullName,
            app: app.name,
            branch: app.branch,
            deliveryId: sweepId,
          };
          await deps.queue.send(job);
          result.enqueued.push(job);
        }
      } catch (error) {
        result.failed.push({ repo: repo.fullName, error: messageOf(error) });
        deps.logger.log('error', `${repo.fullName}: sweep could not read the repository`, {
          error: messageOf(error),
        });
      }
    }),
  );
  deps.logger.log('info', 'sweep enqueued', {
    sweep: sweepId,
    jobs: result.enqueued.length,
    failedRepos: result.failed.length,
  });
  return result;
}
