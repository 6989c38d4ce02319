/** What a runtime hands to the job runner along with each job. */
import type { TargetBinding } from '../config/target-binding.ts';
import type { FlowOutcome } from '../flows/run-flow.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { GitSource } from '../ports/git-source.ts';
import type { Logger } from '../ports/logger.ts';
import type { RegisteredRepo, RepoRegistry } from '../ports/repo-registry.ts';
import type { SecretStore } from '../ports/secret-store.ts';
import type { Job } from './job.ts';

/** The ports a job runner reads repositories and logs through (the same ones the webhook uses). */
export interface JobContext {
  registry: RepoRegistry;
  /** GitHub, for the repositories on GitHub. */
  gitHostFor: (repo: RegisteredRepo) => GitHost;
  /** The source of each repository read with Git from a path or URL (`repo.git`). */
  gitSourceFor?: (repo: RegisteredRepo) => GitSource;
  /** The operator's target bindings: the only targets apps can name. */
  targets: readonly TargetBinding[];
  /** Secrets named by the runtime settings (binding credentials, age identities). */
  secrets: SecretStore;
  logger: Logger;
}

/**
 * Runs one job: the reconciler, plugged in by the runtime's entry point. It resolves with the
 * flow's outcome (which the runtime records in the history), or `undefined` (a runner that only
 * observes jobs, in tests).
 */
export type RunJob = (job: Job, context: JobContext) => Promise<FlowOutcome | undefined>;
