/**
 * The whole Workers path inside workerd with Miniflare's real Queues and Durable Objects: a
 * signed push reaches `fetch`, the job goes through the queue to the app's `AppJobs` object,
 * which reads the repository from the GitHub test server and applies it to the real
 * kube-apiserver through the emulated Cloudflare Tunnel, Access service token required.
 * A target whose Tunnel origin is down is retried, then dead-lettered; one with a private
 * CA fails at once, naming the reason.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppJobsStatus, WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker from '../../functions/cloudflare.ts';
import { jobKey, type ReconcileJob } from '../../lib/jobs/job.ts';

const fixture = inject('workers');
const workerEnv = env as unknown as WorkerEnv;

function statusOf(app: string): Promise<AppJobsStatus> {
  const job: ReconcileJob = {
    kind: 'reconcile',
    repo: fixture.repo,
    app,
    branch: 'main',
    deliveryId: '',
  };
  return workerEnv.APP_JOBS.get(workerEnv.APP_JOBS.idFromName(jobKey(job))).status();
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 45_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** GET on the API server through the Tunnel, as the cluster admin. */
function clusterGet(path: string, withAccess = true): Promise<Response> {
  return fetch(`https://${fixture.tunnelHost}${path}`, {
    headers: {
      authorization: `Bearer ${fixture.clusterToken}`,
      ...(withAccess
        ? {
            'cf-access-client-id': fixture.access.clientId,
            'cf-access-client-secret': fixture.access.clientSecret,
          }
        : {}),
    },
  });
}

describe('a push on Workers', () => {
  const { headers, body } = fixture.deliveries.push;

  beforeAll(async () => {
    const response = await worker.fetch(
      new Request('https://plumbline.example.workers.dev/webhooks/github', {
        method: 'POST',
        headers,
        body,
      }),
      workerEnv,
      createExecutionContext(),
    );
    expect(response.status).toBe(202);
  });

  it('is applied to the cluster through the Tunnel by the app’s Durable Object', async () => {
    const configMap = await eventually('the ConfigMap to be applied', async () => {
      const answer = await clusterGet(
        `/api/v1/namespaces/${fixture.namespace}/configmaps/settings`,
      );
      return answer.status === 200
        ? ((await answer.json()) as { data: Record<string, string> })
        : undefined;
    });
    expect(configMap.data).toEqual({ color: 'blue' });
    const web = await eventually('the web job to finish', async () => {
      const status = await statusOf('web');
      return status.last ? status : undefined;
    });
    expect(web.last?.verdict).toEqual({
      action: 'ack',
      status: 'applied',
      reason: 'it was never applied',
    });
    expect(web.last?.job.deliveryId).toBe(headers['x-github-delivery']);
  });

  it('fails at once, and is not retried, for a target with a private CA', async () => {
    const privateApp = await eventually('the private job to finish', async () => {
      const status = await statusOf('private');
      return status.last ? status : undefined;
    });
    expect(privateApp.last?.verdict).toMatchObject({ action: 'ack', status: 'failed' });
    const reason = privateApp.last?.verdict.reason ?? '';
    expect(reason).toContain('credentials: target onprem');
    expect(reason).not.toContain('BEGIN CERTIFICATE');
    expect(reason).toContain('private CA');
    expect(privateApp.deadLetters).toEqual([]);
  });

  it('retries a target whose Tunnel origin is down, then dead-letters the job', async () => {
    const flaky = await eventually(
      'the flaky job to be dead-lettered',
      async () => {
        const status = await statusOf('flaky');
        return status.deadLetters.length > 0 ? status : undefined;
      },
      55_000,
    );
    expect(flaky.last?.verdict.action).toBe('retry');
    expect(flaky.last?.verdict).toMatchObject({ reason: expect.stringContaining('502') });
    expect(flaky.deadLetters[0]).toMatchObject({
      job: { kind: 'reconcile', repo: fixture.repo, app: 'flaky', branch: 'main' },
    });
  }, 60_000);

  it('is refused by Access without the service token', async () => {
    const answer = await clusterGet('/version', false);
    expect(answer.status).toBe(403);
  });
});
