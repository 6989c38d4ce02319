/**
 * `fetch` inside workerd: GitHub's signed deliveries (recorded payloads, signed on the Node
 * side) reach the webhook app through the Worker's default export, which reads `plumbline.yaml`
 * from the GitHub test server and enqueues jobs on the queue binding.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import type { WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker from '../../functions/cloudflare.ts';
import { type Job, jobKey } from '../../lib/jobs/job.ts';
import { WORKERS_TEST } from './fixtures.ts';

const fixture = inject('workers');

/** The Worker's env with the jobs queue replaced by one that records what is sent. */
function recordingEnv(overrides: Record<string, unknown> = {}) {
  const sent: Job[] = [];
  const testEnv = {
    ...(env as unknown as WorkerEnv),
    JOBS: {
      async send(message: Job) {
        sent.push(message);
      },
    },
    ...overrides,
  } as WorkerEnv;
  return { env: testEnv, sent };
}

async function post(
  testEnv: WorkerEnv,
  body: string,
  headers: Record<string, string>,
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://plumbline.example.workers.dev/webhooks/github', {
      method: 'POST',
      headers,
      body,
    }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe('the Worker webhook', () => {
  it('accepts a signed push and enqueues a reconcile job per app tracking the branch', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { headers, body } = fixture.deliveries.push;
    const response = await post(testEnv, body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'accepted',
      apps: ['web', 'flaky', 'private'],
      reason: 'new branch: no previous commit to compare with',
    });
    expect(
      sent.map((job) => job.kind === 'reconcile' && `${job.repo}#${job.app}@${job.branch}`),
    ).toEqual(['acme/deploy#web@main', 'acme/deploy#flaky@main', 'acme/deploy#private@main']);
    expect(sent[0]?.deliveryId).toBe(headers['x-github-delivery']);
  });

  it('narrows the fan-out with the same rule as Node: a push no file of which reaches an app enqueues nothing', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { headers, body } = fixture.deliveries.pushUnchanged;
    const response = await post(testEnv, body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'ignored',
      reason: 'no changed file reaches the 3 apps tracking branch main',
      apps: [],
      untouched: 3,
    });
    expect(sent).toEqual([]);
  });

  it('enqueues a plan job for an opened pull request, keyed by the pull request', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { headers, body } = fixture.deliveries.pullRequestOpened;
    const number = (JSON.parse(body) as { number: number }).number;
    const response = await post(testEnv, body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'accepted', pullRequest: number });
    expect(sent).toEqual([
      { kind: 'plan', repo: 'acme/deploy', number, deliveryId: headers['x-github-delivery'] },
    ]);
    expect(jobKey(sent[0] as Job)).toBe(`acme/deploy#pr/${number}`);
  });

  it('refuses an unsigned delivery with 401 and enqueues nothing', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { 'x-hub-signature-256': _signature, ...unsigned } = fixture.deliveries.push.headers;
    const response = await post(testEnv, fixture.deliveries.push.body, unsigned);
    expect(response.status).toBe(401);
    const answer = (await response.json()) as { status: string; reason: string };
    expect(answer.status).toBe('refused');
    expect(answer.reason).toContain('X-Hub-Signature-256');
    expect(sent).toEqual([]);
  });

  it('refuses a body changed after signing', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { headers, body } = fixture.deliveries.push;
    // One byte more than was signed (still valid JSON).
    const response = await post(testEnv, `${body} `, headers);
    expect(response.status).toBe(401);
    expect(sent).toEqual([]);
  });

  it('accepts a delivery signed with an older secret still listed for rotation', async () => {
    const { env: testEnv, sent } = recordingEnv({
      PLUMBLINE_WEBHOOK_SECRETS: `new-secret,${fixture.webhookSecret}`,
    });
    const response = await post(
      testEnv,
      fixture.deliveries.push.body,
      fixture.deliveries.push.headers,
    );
    expect(response.status).toBe(202);
    expect(sent).toHaveLength(3);
  });

  it('answers a push from an unregistered repository and does nothing', async () => {
    const { env: testEnv, sent } = recordingEnv();
    const { headers, body } = fixture.deliveries.pushOtherRepo;
    const response = await post(testEnv, body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'ignored' });
    expect(sent).toEqual([]);
  });

  it('refuses a body over PLUMBLINE_MAX_BODY_BYTES with 413 and enqueues nothing', async () => {
    const { env: testEnv, sent } = recordingEnv({ PLUMBLINE_MAX_BODY_BYTES: '1024' });
    const { headers, body } = fixture.deliveries.push;
    expect(body.length).toBeGreaterThan(1024);
    const response = await post(testEnv, body, headers);
    expect(response.status).toBe(413);
    expect(sent).toEqual([]);
  });

  it('serves /healthz naming the runtime', async () => {
    const { env: testEnv } = recordingEnv();
    const response = await worker.fetch(
      new Request('https://plumbline.example.workers.dev/healthz'),
      testEnv,
      createExecutionContext(),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', runtime: 'cloudflare-workers' });
  });

  it('serves an app status only with the status bearer token', async () => {
    const { env: testEnv } = recordingEnv();
    const url = 'https://plumbline.example.workers.dev/status/acme/deploy/never-ran';
    const refused = await worker.fetch(new Request(url), testEnv, createExecutionContext());
    expect(refused.status).toBe(401);
    const answered = await worker.fetch(
      new Request(url, { headers: { authorization: `Bearer ${WORKERS_TEST.statusToken}` } }),
      testEnv,
      createExecutionContext(),
    );
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({
      repo: 'acme/deploy',
      app: 'never-ran',
      coveredUntil: 0,
      deadLetters: [],
    });
  });
});
