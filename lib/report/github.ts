/**
 * The GitHub surface beyond comment and issue bodies: the plan check run (title, summary and
 * annotations at the file and line of a failure, in batches GitHub accepts) and the one-line
 * descriptions of deployment and commit statuses (at most 140 characters).
 */
import type { ChangeSet } from '../apply/apply.ts';
import type { CheckAnnotation } from '../ports/git-host.ts';
import {
  annotationMessageLimit,
  annotationsPerRequest,
  annotationTitleLimit,
  checkOutputLimit,
  clip,
  cutLines,
  descriptionLimit,
} from './limits.ts';
import { PLAN_MARKER, pullRequestComment } from './markdown.ts';
import type { FlowFailure, PullRequestPlan } from './outcomes.ts';
import type { Redacted } from './redacted.ts';
import { changeSetFailures, changeSetSummary, failedApps, pullRequestTotals } from './summary.ts';

/** A check run's output: what GitHub shows on the Checks tab. */
export interface CheckOutput {
  title: string;
  summary: string;
  annotations: CheckAnnotation[];
}

/** The check run title of a pull request plan: failures first, then the totals. */
export function planCheckTitle(plan: Redacted<PullRequestPlan>): string {
  const failed = failedApps(plan);
  const counts = pullRequestTotals(plan);
  return failed > 0 ? `${failed} app(s) failed · ${counts}` : counts;
}

/** An annotation at the file and line of a failure. */
export function failureAnnotation(failure: Redacted<FlowFailure>, path: string): CheckAnnotation {
  const line = failure.line ?? 1;
  const message = failure.hint ? `${failure.message}\n${failure.hint}` : failure.message;
  return {
    path,
    startLine: line,
    endLine: line,
    level: 'failure',
    title: clip(`${failure.stage} failed`, annotationTitleLimit),
    message: cutLines(message, annotationMessageLimit, 'message'),
  };
}

/**
 * The plan check run: the comment's content as summary (without its marker), and an
 * annotation per failure that names a file (`configFile` for those that do not).
 */
export function planCheckOutput(plan: Redacted<PullRequestPlan>, configFile: string): CheckOutput {
  const annotations: CheckAnnotation[] = [];
  for (const result of plan.apps) {
    if (result.kind !== 'failed') continue;
    annotations.push(
      failureAnnotation(result.failure as Redacted<FlowFailure>, result.failure.file ?? configFile),
    );
  }
  return {
    title: planCheckTitle(plan),
    summary: cutLines(
      pullRequestComment(plan).replace(PLAN_MARKER, '').trimStart(),
      checkOutputLimit,
    ),
    annotations,
  };
}

/** Annotations in the batches GitHub takes per request (the first goes with the create). */
export function annotationBatches<T>(annotations: readonly T[]): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < annotations.length; i += annotationsPerRequest)
    batches.push(annotations.slice(i, i + annotationsPerRequest));
  return batches.length > 0 ? batches : [[]];
}

/** What a deployment or commit status reports. */
export type StatusEvent =
  | {
      kind: 'deployment';
      app: string;
      target: string;
      namespace: string;
      /** The Helm charts deployed, with their digests (`describeCharts`). */
      charts?: string;
    }
  | { kind: 'files-deployment'; app: string; target: string; destination: string }
  | { kind: 'files-applied'; sha: string; summary: string }
  | { kind: 'deploying'; sha: string }
  | { kind: 'applied'; sha: string; changeSet: ChangeSet; note?: string }
  /** `requireReviewedPlan` holds the deploy: the plan's tag, why, whether a fresh plan was shown. */
  | { kind: 'held'; plan: string; why: string; shown: boolean }
  | { kind: 'apply-failed'; changeSet: ChangeSet }
  | { kind: 'failed'; failure: FlowFailure }
  | { kind: 'retrying'; failure: FlowFailure };

/** The status description (at most 140 characters) of an event. */
export function statusDescription(event: Redacted<StatusEvent>): string {
  switch (event.kind) {
    case 'deployment':
      return clip(
        `Plumbline deploys ${event.app} to ${event.target}/${event.namespace}${event.charts ? ` with ${event.charts}` : ''}`,
        descriptionLimit,
      );
    case 'files-deployment':
      return clip(
        `Plumbline deploys ${event.app} to ${event.target}:${event.destination}`,
        descriptionLimit,
      );
    case 'files-applied':
      return clip(`Deployed ${event.sha.slice(0, 7)}: ${event.summary}`, descriptionLimit);
    case 'deploying':
      return clip(`Deploying ${event.sha.slice(0, 7)}`, descriptionLimit);
    case 'applied':
      return clip(
        `Applied ${event.sha.slice(0, 7)}: ${changeSetSummary(event.changeSet)}${event.note ? `; ${event.note}` : ''}`,
        descriptionLimit,
      );
    case 'held':
      return clip(
        `Held (${event.plan}): ${event.why}${event.shown ? '; fresh plan shown on the pull request' : '; merge through a pull request'}`,
        descriptionLimit,
      );
    case 'apply-failed':
      return clip(`apply failed: ${applyFailureMessage(event.changeSet)}`, descriptionLimit);
    case 'failed':
      return clip(`${event.failure.stage} failed: ${event.failure.message}`, descriptionLimit);
    case 'retrying':
      return clip(`Will retry: ${event.failure.message}`, descriptionLimit);
  }
}

/** The message of a change set that did not complete: its failures, or that it stopped. */
export function applyFailureMessage(changeSet: ChangeSet): string {
  return changeSetFailures(changeSet).join('; ') || 'apply did not complete';
}

/** The check run while the plan runs. */
export const planningCheck = {
  title: 'Planning',
  summary: 'Plumbline is planning the apps this pull request affects (dry run).',
};

/** The check run of a pull request that is not planned (a fork), saying why. */
export function notPlannedCheck(reason: string): CheckOutput {
  return { title: 'Not planned: fork pull request', summary: reason, annotations: [] };
}
