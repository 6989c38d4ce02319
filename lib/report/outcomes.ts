/**
 * Outcome data that the report renders and no lower layer defines: a failed stage, a pull
 * request's plan, an app's drift, and the run record (one job's outcome, as the CLI, the
 * history store and the status page list it). Plans, change sets and drift reports are defined
 * where they are made (`plan`, `apply`, `drift`).
 */

import type { ChangeSet } from '../apply/apply.ts';
import type { DriftReport } from '../drift/drift.ts';
import type { Stage } from '../errors.ts';
import type { FilesChangeSet } from '../hosts/files-deploy.ts';
import type { FilesPlan } from '../hosts/files-plan.ts';
import type { FilesDriftFinding } from '../hosts/render-files.ts';
import type { Plan } from '../plan/plan.ts';
import type { RenderedChart } from '../render/helm-inflate.ts';

/** A failure, as data: the stage, and what to show users (never a secret). */
export interface FlowFailure {
  stage: Stage;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  object?: string;
}

/** One app's part of a pull request plan. */
export type AppPlanResult =
  | {
      kind: 'planned';
      app: string;
      target: string;
      plan: Plan;
      /** The Helm charts the app inflated, with their digests. */
      charts?: RenderedChart[];
    }
  | { kind: 'planned-files'; app: string; target: string; plan: FilesPlan }
  | { kind: 'unaffected'; app: string; reason: string }
  | { kind: 'failed'; app: string; failure: FlowFailure };

/** A pull request's plan: rendered as a sticky comment and a check run. */
export interface PullRequestPlan {
  repo: string;
  number: number;
  headSha: string;
  apps: AppPlanResult[];
}

/** What the sweep found for one app. */
export interface DriftFinding {
  repo: string;
  app: string;
  /** The head commit the desired state came from. */
  sha: string;
  target: string;
  report: DriftReport;
  /** Whether the sweep put the objects back (`selfHeal: true`), and how that went. */
  healed?: { ok: boolean; errors: string[] };
}

/** What a drift issue sync did. */
export type DriftIssueAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

/** How one job ended, as every surface lists it. */
export interface RunRecord {
  kind: 'deploy' | 'plan' | 'sweep';
  repo: string;
  /** The app (absent for a pull request plan, which covers several). */
  app?: string;
  /** The pull request planned. */
  number?: number;
  /** The commit the job worked on. */
  sha?: string;
  status:
    | 'applied'
    | 'failed'
    | 'held'
    | 'skipped'
    | 'planned'
    | 'not-planned'
    | 'outdated'
    | 'in-sync'
    | 'drifted';
  /** Why it was skipped or not planned. */
  reason?: string;
  /** The sweep found the branch head unapplied (a missed webhook) and applied it. */
  missedHead?: boolean;
  failure?: FlowFailure;
  changeSet?: ChangeSet;
  plan?: PullRequestPlan;
  drift?: DriftFinding;
  /** What a `files` app's deploy did on its host. */
  files?: FilesChangeSet;
  /** The drifted files of a `files` app. */
  filesDrift?: FilesDriftFinding;
  /** What the sweep did with the app's drift issue. */
  issue?: DriftIssueAction;
  /** The plan check run's conclusion. */
  conclusion?: 'success' | 'neutral' | 'failure';
}
