/**
 * The status routes as a Hono app, served by both runtimes next to the webhook: the JSON API
 * under `/api/v1/` (docs/status-api.md) and the pages that render its documents (`/`, the
 * per-app page, the login form and the GitHub setup page). Read-only: the only writes are the
 * login cookie and the GitHub App registration. Runtime-free: the runtime gives it the history,
 * its live jobs, the access policy and the setup.
 */
import { type Context, Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import type { HistoryRecord, RunKind } from '../history/history-record.ts';
import type { HistoryQuery, HistoryStore } from '../history/history-store.ts';
import type { HistoryProblem } from '../history/run-recorder.ts';
import type { Logger } from '../ports/logger.ts';
import { type GitHubSetupDeps, registerGitHubSetup } from './github-setup.ts';
import type { LiveJob } from './live-jobs.ts';
import {
  localPath,
  SESSION_COOKIE,
  SESSION_MS,
  type StatusAccessPolicy,
  sameOrigin,
  sameText,
  sessionValue,
  statusGuard,
} from './status-access.ts';
import {
  type AppDocument,
  appStatusOf,
  type HistoryHealth,
  type OverviewDocument,
  summaryOf,
} from './status-model.ts';
import { appPage, loginPage, messagePage, overviewPage } from './status-pages.ts';

/** What the status routes read. */
export interface StatusDeps {
  history: HistoryStore & { problem?(): HistoryProblem | undefined };
  /** Jobs queued or running in this runtime (none on Workers). */
  live?: () => readonly LiveJob[];
  access: StatusAccessPolicy;
  logger: Logger;
  /** The GitHub setup page (absent: not offered). */
  setup?: GitHubSetupDeps;
  now?: () => number;
}

const KINDS = new Set<RunKind>(['deploy', 'plan', 'sweep', 'heal', 'unlock']);
const RUNS_ON_APP_PAGE = 30;

function html(c: Context, node: unknown, status = 200) {
  return c.html(`<!DOCTYPE html>${String(node)}`, status as 200);
}

/** A positive integer query parameter, or undefined. */
function positive(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/** The documents of the API, built once per request; the pages render the same documents. */
export class StatusApi {
  readonly #deps: StatusDeps;
  readonly #now: () => number;

  constructor(deps: StatusDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  #health(): HistoryHealth {
    const problem = this.#deps.history.problem?.();
    return problem ? { ok: false, ...problem } : { ok: true };
  }

  async overview(): Promise<OverviewDocument> {
    const apps = await this.#deps.history.apps();
    const live = this.#deps.live?.() ?? [];
    return {
      generatedAt: new Date(this.#now()).toISOString(),
      apps: apps
        .filter((entry) => entry.lastRun || entry.lastPlan)
        .map((entry) =>
          appStatusOf(
            entry,
            live.filter((job) => job.repo === entry.repo && job.app === entry.app),
          ),
        ),
      history: this.#health(),
    };
  }

  /** One app, with its newest runs (older than `before` when paging); undefined: unknown app. */
  async app(
    repo: string,
    app: string,
    before?: number,
  ): Promise<{ doc: AppDocument; records: HistoryRecord[] } | undefined> {
    const entry = (await this.#deps.history.apps()).find((a) => a.repo === repo && a.app === app);
    if (!entry) return undefined;
    const query: HistoryQuery = {
      repo,
      app,
      limit: RUNS_ON_APP_PAGE,
      ...(before ? { before } : {}),
    };
    const records = await this.#deps.history.list(query);
    const runs = records.map(summaryOf);
    const live = (this.#deps.live?.() ?? []).filter((job) => job.repo === repo && job.app === app);
    const lastFailure = runs.find((run) => run.failure);
    return {
      doc: {
        generatedAt: new Date(this.#now()).toISOString(),
        history: this.#health(),
        status: appStatusOf(entry, live),
        ...(entry.lastPlan ? { lastPlan: entry.lastPlan } : {}),
        ...(entry.lastCheck ? { lastCheck: entry.lastCheck } : {}),
        runs,
        ...(lastFailure ? { lastFailure } : {}),
      },
      records,
    };
  }

  async runs(query: HistoryQuery): Promise<HistoryRecord[]> {
    return this.#deps.history.list(query);
  }

  async run(id: number): Promise<HistoryRecord | undefined> {
    return this.#deps.history.get(id);
  }
}

/** Builds the status routes. */
export function createStatusApp(deps: StatusDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const api = new StatusApi(deps);
  const token = deps.access.mode === 'guarded' ? deps.access.token : undefined;

  // Pages and API say nothing to caches or other sites.
  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
    c.header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'",
    );
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-cache');
  });

  if (token !== undefined && deps.access.mode === 'guarded') {
    app.get('/login', (c) => html(c, loginPage(localPath(c.req.query('next')), false)));
    app.post('/login', async (c) => {
      if (!sameOrigin(c)) return c.text('cross-site form refused', 403);
      const form = await c.req.parseBody();
      const next = localPath(typeof form.next === 'string' ? form.next : undefined);
      const given = typeof form.token === 'string' ? form.token : '';
      if (!sameText(given, token)) {
        deps.logger.log('warn', 'status page: login with a wrong token');
        return html(c, loginPage(next, true), 401);
      }
      const expiresAt = now() + SESSION_MS;
      setCookie(c, SESSION_COOKIE, await sessionValue(token, expiresAt), {
        httpOnly: true,
        sameSite: 'Lax',
        secure:
          new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
        path: '/',
        maxAge: SESSION_MS / 1000,
      });
      return c.redirect(next, 303);
    });
  }

  const guard = statusGuard(deps.access, now);
  for (const path of ['/', '/apps/*', '/api/v1/*', '/setup/*']) app.use(path, guard);

  app.get('/api/v1/overview', async (c) => c.json(await api.overview()));

  app.get('/api/v1/apps/:repo/:app', async (c) => {
    const found = await api.app(
      c.req.param('repo'),
      c.req.param('app'),
      positive(c.req.query('before')),
    );
    return found ? c.json(found.doc) : c.json({ error: 'no such app in the history' }, 404);
  });

  app.get('/api/v1/runs', async (c) => {
    const kind = c.req.query('kind');
    if (kind !== undefined && !KINDS.has(kind as RunKind)) {
      return c.json(
        { error: "kind must be one of 'deploy', 'plan', 'sweep', 'heal', 'unlock'" },
        400,
      );
    }
    const limit = positive(c.req.query('limit'));
    const before = positive(c.req.query('before'));
    const repo = c.req.query('repo');
    const appName = c.req.query('app');
    const runs = await api.runs({
      ...(repo ? { repo } : {}),
      ...(appName ? { app: appName } : {}),
      ...(kind ? { kind: kind as RunKind } : {}),
      ...(limit ? { limit } : {}),
      ...(before ? { before } : {}),
    });
    const last = runs[runs.length - 1]?.id;
    return c.json({
      runs,
      ...(runs.length > 0 && last !== undefined && last > 0 ? { next: last } : {}),
    });
  });

  app.get('/api/v1/runs/:id', async (c) => {
    const id = Number(c.req.param('id'));
    const run = Number.isSafeInteger(id) ? await api.run(id) : undefined;
    return run ? c.json(run) : c.json({ error: 'no such run' }, 404);
  });

  app.get('/', async (c) =>
    html(c, overviewPage(await api.overview(), deps.setup ? !deps.setup.configured() : false)),
  );

  app.get('/apps/:repo/:app', async (c) => {
    const found = await api.app(
      c.req.param('repo'),
      c.req.param('app'),
      positive(c.req.query('before')),
    );
    if (!found)
      return html(
        c,
        messagePage('No such app', 'The history has no run of this app.', 'warn'),
        404,
      );
    return html(c, appPage(found.doc, found.records));
  });

  if (deps.setup) registerGitHubSetup(app, deps.setup);

  app.onError((error, c) => {
    deps.logger.log('error', 'status page failed', {
      path: new URL(c.req.url).pathname,
      error: error.message,
    });
    const path = new URL(c.req.url).pathname;
    return path.startsWith('/api/')
      ? c.json({ error: 'internal error' }, 500)
      : html(
          c,
          messagePage(
            'Something went wrong',
            'The status page could not be built; the log says why. Deploys are not affected.',
          ),
          500,
        );
  });
  return app;
}
