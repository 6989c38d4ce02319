/**
 * The Worker's HTTP surface: the webhook app of `lib/webhook` (`POST /webhooks/github`,
 * `GET /healthz`), `GET /status/:owner/:repo/:app` (what the app's Durable Object knows: last
 * run, dead letters), and the status page with its API (`lib/status`) when the history is
 * bound. Everything but the webhook and the health check needs the bearer
 * `PLUMBLINE_STATUS_TOKEN` or a Cloudflare Access login; with neither configured it is not
 * served at all, since it names repositories and apps.
 */
import { Hono } from 'hono';
import { jobKey } from '../../lib/jobs/job.ts';
import { type StatusAccessPolicy, viewerOf } from '../../lib/status/status-access.ts';
import type { AppJobsNamespace } from './worker-env.ts';

/** What the HTTP surface is assembled from. */
export interface WorkerAppDeps {
  webhook: Hono;
  appJobs: AppJobsNamespace;
  access: StatusAccessPolicy;
  /** The status page and API (absent without a history binding). */
  status?: Hono;
}

/** Builds the Worker's Hono app. */
export function createWorkerApp(deps: WorkerAppDeps): Hono {
  const app = new Hono();
  app.get('/status/:owner/:repo/:app', async (c) => {
    if (deps.access.mode !== 'guarded') {
      return c.json({ status: 'refused', reason: 'not found' }, 404);
    }
    if ((await viewerOf(c, deps.access, Date.now())) === undefined) {
      return c.json({ status: 'refused', reason: 'missing or wrong bearer token' }, 401);
    }
    const job = {
      kind: 'reconcile' as const,
      repo: `${c.req.param('owner')}/${c.req.param('repo')}`,
      app: c.req.param('app'),
      branch: '',
      deliveryId: '',
    };
    const stub = deps.appJobs.get(deps.appJobs.idFromName(jobKey(job)));
    return c.json({ repo: job.repo, app: job.app, ...(await stub.status()) });
  });
  app.route('/', deps.webhook);
  const status = deps.status;
  if (status) app.all('*', (c) => status.fetch(c.req.raw));
  return app;
}
