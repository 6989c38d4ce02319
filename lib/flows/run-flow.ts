/**
 * The consumer's dispatch: each kind of job to its flow. Transient failures (5xx, network)
 * propagate, so the queue retries them with backoff; everything else is reported by the flow
 * and ends the job.
 */
import type { Job } from '../jobs/job.ts';
import type { Redacted } from '../report/redacted.ts';
import { deployApp } from './deploy-app.ts';
import type { DeployOutcome } from './deploy-outcome.ts';
import type { FlowDeps } from './flow-deps.ts';
import { type PlanJobOutcome, planPullRequest } from './plan-pull-request.ts';
import { type SweepOutcome, sweepApp } from './sweep.ts';

/** What any job ended with: redacted by the job's ledger on its way out of the flow. */
export type FlowOutcome =
  | Redacted<DeployOutcome>
  | Redacted<PlanJobOutcome>
  | Redacted<SweepOutcome>;

/** Runs one job through its flow. */
export function runFlow(job: Job, deps: FlowDeps): Promise<FlowOutcome> {
  switch (job.kind) {
    case 'reconcile':
      return deployApp(job, deps);
    case 'plan':
      return planPullRequest(job, deps);
    case 'sweep':
      return sweepApp(job, deps);
  }
}
