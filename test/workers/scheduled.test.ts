/** `scheduled` inside workerd: the cron sweep enqueues a sweep job for every app. */
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker from '../../functions/cloudflare.ts';
import type { Job } from '../../lib/jobs/job.ts';

describe('the cron sweep', () => {
  it('enqueues a sweep job for every app of every readable registered repository', async () => {
    const sent: Job[] = [];
    const testEnv = {
      ...(env as unknown as WorkerEnv),
      JOBS: {
        async send(message: Job) {
          sent.push(message);
        },
      },
    } as WorkerEnv;
    const controller = createScheduledController({
      scheduledTime: Date.UTC(2026, 10, 26, 16, 15),
      cron: '*/15 * * * *',
    });
    // acme/unreadable is registered but not served by GitHub: it is logged and skipped.
    await worker.scheduled(controller, testEnv);
    expect(sent).toEqual(
      ['web', 'flaky', 'private'].map((app) => ({
        kind: 'sweep',
        repo: 'acme/deploy',
        app,
        branch: 'main',
        deliveryId: 'sweep-2026-11-26T16:15:00.000Z',
      })),
    );
  });
});
