/**
 * The Worker's HTTP surface: the webhook app of `lib/webhook` (`POST /webhooks/github`,
 * `GET /healthz`) plus `GET /status/:owner/:repo/:app`, what the app's Durable Object knows
 * (last run, dead letters). Status needs the bearer `PLUMBLINE_STATUS_TOKEN`; without one set
 * it is not served at all, since it names repositories and apps.
 */
import { Hono } from 'hono';
import { jobKey } from '../../lib/jobs/job.ts';
import type { AppJobsNamespace } from './worker-env.ts';

/** What the HTTP surface is assembled from. */
export interface WorkerAppDeps {
  webhook: Hono;
  appJobs: AppJobsNamespace;
  statusToken?: string;
}

/** Compares in constant time, so the token cannot be guessed byte by byte from timings. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Builds the Worker's Hono app. */
export function createWorkerApp(deps: WorkerAppDeps): Hono {
  const app = new Hono();
  app.get('/status/:owner/:repo/:app', async (c) => {
    const token = deps.statusToken;
    if (token === undefined) return c.json({ status: 'refused', reason: 'not found' }, 404);
    const given = c.req.header('authorization')?.replace(/^bearer\s+/i, '') ?? '';
    if (!sameText(given, token)) {
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
  return app;
}
