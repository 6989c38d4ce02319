/**
 * Finding 1 (critical) on Cloudflare Workers, inside workerd with the real queue and Durable
 * Objects: a push to a branch whose `plumbline.yaml` redefines target `staging` at the
 * attacker (and adds an app tracking that branch), and a same-repository pull request from
 * it, never make the Worker send a request to the attacker's host. The edge records whatever
 * reaches that host; the record must stay empty, so no bearer token and no Access headers.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import type { AppJobsStatus, WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker from '../../functions/cloudflare.ts';
import { jobKey, type PlanJob, type ReconcileJob } from '../../lib/jobs/job.ts';
import { ATTACKER_RECORD_PATH, type DeliveryFixture } from './fixtures.ts';

const fixture = inject('workers');
const workerEnv = env as unknown as WorkerEnv;

async function post(delivery: DeliveryFixture): Promise<Response> {
  return worker.fetch(
    new Request('https://plumbline.example.workers.dev/webhooks/github', {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    }),
    workerEnv,
    createExecutionContext(),
  );
}

function statusOf(job: ReconcileJob | PlanJob): Promise<AppJobsStatus> {
  return workerEnv.APP_JOBS.get(workerEnv.APP_JOBS.idFromName(jobKey(job))).status();
}

async function seenByAttacker(): Promise<unknown[]> {
  const answer = await fetch(`https://${fixture.attackerHost}${ATTACKER_RECORD_PATH}`);
  return (await answer.json()) as unknown[];
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a branch cannot redirect credentials on Workers', () => {
  it('a push to a branch redefining the target enqueues nothing and reaches no attacker', async () => {
    const response = await post(fixture.deliveries.pushEvil);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'ignored',
      reason: 'no app of the trusted configuration (plumbline.yaml on main) tracks branch evil',
    });
    const steal: ReconcileJob = {
      kind: 'reconcile',
      repo: fixture.repo,
      app: 'steal',
      branch: 'evil',
      deliveryId: '',
    };
    expect((await statusOf(steal)).last).toBeUndefined();
    expect(await seenByAttacker()).toEqual([]);
  });

  it('a same-repository pull request from that branch is planned through the bound target only', async () => {
    const response = await post(fixture.deliveries.pullRequestEvil);
    expect(await response.json()).toEqual({ status: 'accepted', pullRequest: 9 });
    const plan: PlanJob = { kind: 'plan', repo: fixture.repo, number: 9, deliveryId: '' };
    const status = await eventually('the plan job to finish', async () => {
      const known = await statusOf(plan);
      return known.last ? known : undefined;
    });
    expect(status.last?.verdict).toMatchObject({ action: 'ack' });
    expect(await seenByAttacker()).toEqual([]);
  });
});
