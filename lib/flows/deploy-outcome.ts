/**
 * How a deploy ended: the one outcome shape of both kinds of app (Kubernetes objects and
 * files on hosts), read by the sweep, the history and every report.
 */
import type { ChangeSet } from '../apply/apply.ts';
import type { FilesChangeSet } from '../hosts/files-deploy.ts';
import type { FlowFailure } from './flow-failure.ts';
import type { PlanBinding } from './reviewed-plan.ts';

/** What a deploy bound its plan to, for reports. */
export interface DeployPlanInfo {
  digest: string;
  binding: PlanBinding;
  /** Where the fresh plan was shown, when the reviewed one no longer matched. */
  freshPlanUrl?: string;
}

/** How a deploy ended. */
export type DeployOutcome =
  | { status: 'skipped'; repo: string; app: string; reason: string; sha?: string; target?: string }
  | {
      status: 'applied' | 'failed' | 'held';
      repo: string;
      app: string;
      sha: string;
      /** Why the app was deployed (or held). */
      reason?: string;
      /** The target binding the app deploys to (for the history). */
      target?: string;
      changeSet?: ChangeSet;
      /** What a `files` app's deploy did on its host. */
      files?: FilesChangeSet;
      failure?: FlowFailure;
      plan?: DeployPlanInfo;
      deploymentId?: number;
    };
