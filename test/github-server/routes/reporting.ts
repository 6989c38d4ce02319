/**
 * What Plumbline writes to GitHub: pull requests (read), issue comments, check runs, commit
 * statuses, deployments and their statuses, and issues. The server keeps them per repository
 * (`ServerState.records`) so tests can assert what was reported, and enforces GitHub's limits
 * (65,536-character bodies, 50 annotations per request, 140-character descriptions) with 422.
 */
import type { Context, Hono } from 'hono';
import {
  type AnnotationRecord,
  checkRunJson,
  commentJson,
  deploymentJson,
  deploymentStatusJson,
  emptyRecords,
  issueJson,
  pullJson,
  pullSimpleJson,
  type RepoRecords,
  statusJson,
  type Where,
} from '../records.ts';
import { errorJson, notFound, type ServerState } from '../state.ts';

type Body = Record<string, unknown>;

/** The records of the repository a route names, or `undefined` (answer 404). */
function recordsOf(state: ServerState, c: Context): { records: RepoRecords; w: Where } | undefined {
  const owner = c.req.param('owner') as string;
  const repo = c.req.param('repo') as string;
  const fullName = `${owner}/${repo}`;
  if (!state.repos.has(fullName)) return undefined;
  let records = state.records.get(fullName);
  if (!records) {
    records = emptyRecords();
    state.records.set(fullName, records);
  }
  return { records, w: { baseUrl: state.baseUrl, owner, repo } };
}

async function bodyOf(c: Context): Promise<Body | undefined> {
  try {
    const body = (await c.req.json()) as unknown;
    return body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Body)
      : undefined;
  } catch {
    return undefined;
  }
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** GitHub's bound on comment and issue bodies. */
const BODY_LIMIT = 65_536;

function invalid(c: Context, message: string): Response {
  return errorJson(c, 422, message);
}

function annotationsOf(output: unknown): AnnotationRecord[] | string {
  const list = (output as { annotations?: unknown } | undefined)?.annotations;
  if (list === undefined) return [];
  if (!Array.isArray(list)) return 'output.annotations must be an array';
  if (list.length > 50) return 'Only 50 annotations are allowed per request';
  for (const a of list as Body[]) {
    if (!str(a.path) || typeof a.start_line !== 'number' || typeof a.end_line !== 'number') {
      return 'annotation needs path, start_line and end_line';
    }
    if (!['notice', 'warning', 'failure'].includes(String(a.annotation_level))) {
      return 'annotation_level must be notice, warning or failure';
    }
  }
  return list as AnnotationRecord[];
}

/** Registers the routes on `app`. */
export function registerReportingRoutes(app: Hono, state: ServerState): void {
  const nextId = () => {
    state.nextId += 1;
    return state.nextId;
  };

  app.get('/repos/:owner/:repo/pulls/:number{[0-9]+}', (c) => {
    const found = recordsOf(state, c);
    const pull = found?.records.pulls.get(Number(c.req.param('number')));
    if (!found || !pull) return notFound(c);
    return c.json(pullJson(found.w, pull, now()));
  });

  app.get('/repos/:owner/:repo/issues/:number{[0-9]+}/comments', (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const number = Number(c.req.param('number'));
    const comments = found.records.comments.filter((cm) => cm.number === number);
    return c.json(comments.map((cm) => commentJson(found.w, cm)));
  });

  app.post('/repos/:owner/:repo/issues/:number{[0-9]+}/comments', async (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const body = str((await bodyOf(c))?.body);
    if (body === undefined) return invalid(c, 'body is required');
    if (body.length > BODY_LIMIT)
      return invalid(c, 'Body is too long (maximum is 65536 characters)');
    const at = now();
    const comment = {
      id: nextId(),
      number: Number(c.req.param('number')),
      body,
      createdAt: at,
      updatedAt: at,
    };
    found.records.comments.push(comment);
    return c.json(commentJson(found.w, comment), 201);
  });

  app.patch('/repos/:owner/:repo/issues/comments/:id{[0-9]+}', async (c) => {
    const found = recordsOf(state, c);
    const comment = found?.records.comments.find((cm) => cm.id === Number(c.req.param('id')));
    if (!found || !comment) return notFound(c);
    const body = str((await bodyOf(c))?.body);
    if (body === undefined) return invalid(c, 'body is required');
    if (body.length > BODY_LIMIT)
      return invalid(c, 'Body is too long (maximum is 65536 characters)');
    comment.body = body;
    comment.updatedAt = now();
    return c.json(commentJson(found.w, comment));
  });

  app.post('/repos/:owner/:repo/check-runs', async (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const body = await bodyOf(c);
    const name = str(body?.name);
    const headSha = str(body?.head_sha);
    if (!body || !name || !headSha) return invalid(c, 'name and head_sha are required');
    const annotations = annotationsOf(body.output);
    if (typeof annotations === 'string') return invalid(c, annotations);
    const output = (body.output ?? {}) as Body;
    const status = (str(body.status) ?? 'queued') as 'queued' | 'in_progress' | 'completed';
    const conclusion = str(body.conclusion) ?? null;
    const at = now();
    const run = {
      id: nextId(),
      name,
      headSha,
      status: conclusion ? ('completed' as const) : status,
      conclusion,
      title: str(output.title) ?? null,
      summary: str(output.summary) ?? null,
      text: str(output.text) ?? null,
      annotations,
      startedAt: at,
      completedAt: conclusion ? at : null,
    };
    found.records.checkRuns.push(run);
    return c.json(checkRunJson(found.w, run), 201);
  });

  app.patch('/repos/:owner/:repo/check-runs/:id{[0-9]+}', async (c) => {
    const found = recordsOf(state, c);
    const run = found?.records.checkRuns.find((r) => r.id === Number(c.req.param('id')));
    if (!found || !run) return notFound(c);
    const body = (await bodyOf(c)) ?? {};
    const annotations = annotationsOf(body.output);
    if (typeof annotations === 'string') return invalid(c, annotations);
    if (body.output) {
      const output = body.output as Body;
      run.title = str(output.title) ?? run.title;
      run.summary = str(output.summary) ?? run.summary;
      run.text = str(output.text) ?? run.text;
      // GitHub appends annotations sent by updates.
      run.annotations.push(...annotations);
    }
    const status = str(body.status);
    if (status) run.status = status as typeof run.status;
    const conclusion = str(body.conclusion);
    if (conclusion) {
      run.conclusion = conclusion;
      run.status = 'completed';
      run.completedAt = now();
    }
    return c.json(checkRunJson(found.w, run));
  });

  // Before the git data routes: `commits/:ref{.+}` would take these paths too.
  app.get('/repos/:owner/:repo/commits/:ref{[^/]+}/statuses', (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const git = state.repos.get(`${found.w.owner}/${found.w.repo}`);
    const ref = c.req.param('ref');
    const sha = git?.tryGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim() ?? ref;
    const perPage = Math.min(100, Number(c.req.query('per_page') ?? 30) || 30);
    const statuses = found.records.statuses
      .filter((s) => s.sha === sha)
      .reverse()
      .slice(0, perPage);
    return c.json(statuses.map((s) => statusJson(found.w, s)));
  });

  app.get('/repos/:owner/:repo/commits/:sha{[0-9a-f]{40}}/pulls', (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const sha = c.req.param('sha');
    const pulls = [...found.records.pulls.values()].filter(
      (p) => p.mergeCommitSha === sha || (p.state === 'open' && p.headSha === sha),
    );
    return c.json(pulls.map((p) => pullSimpleJson(found.w, p, now())));
  });

  app.post('/repos/:owner/:repo/statuses/:sha', async (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const body = await bodyOf(c);
    const stateName = str(body?.state);
    if (!body || !stateName || !['error', 'failure', 'pending', 'success'].includes(stateName)) {
      return invalid(c, 'state must be error, failure, pending or success');
    }
    const description = str(body.description) ?? null;
    if (description && description.length > 140) {
      return invalid(c, 'description is too long (maximum is 140 characters)');
    }
    const status = {
      id: nextId(),
      sha: c.req.param('sha'),
      state: stateName,
      context: str(body.context) ?? 'default',
      description,
      targetUrl: str(body.target_url) ?? null,
      createdAt: now(),
    };
    found.records.statuses.push(status);
    return c.json(statusJson(found.w, status), 201);
  });

  app.post('/repos/:owner/:repo/deployments', async (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const body = await bodyOf(c);
    const ref = str(body?.ref);
    if (!body || !ref) return invalid(c, 'ref is required');
    const owner = c.req.param('owner') as string;
    const git = state.repos.get(`${owner}/${c.req.param('repo')}`);
    const sha = git?.tryGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim();
    if (!sha) return invalid(c, `No ref found for: ${ref}`);
    const description = str(body.description) ?? null;
    if (description && description.length > 140) {
      return invalid(c, 'description is too long (maximum is 140 characters)');
    }
    const deployment = {
      id: nextId(),
      sha,
      ref,
      environment: str(body.environment) ?? 'production',
      description,
      createdAt: now(),
      statuses: [],
    };
    found.records.deployments.push(deployment);
    return c.json(deploymentJson(found.w, deployment), 201);
  });

  app.post('/repos/:owner/:repo/deployments/:id{[0-9]+}/statuses', async (c) => {
    const found = recordsOf(state, c);
    const deployment = found?.records.deployments.find((d) => d.id === Number(c.req.param('id')));
    if (!found || !deployment) return notFound(c);
    const body = await bodyOf(c);
    const stateName = str(body?.state);
    const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
    if (!body || !stateName || !states.includes(stateName)) {
      return invalid(c, `state must be one of ${states.join(', ')}`);
    }
    const description = str(body.description) ?? '';
    if (description.length > 140) {
      return invalid(c, 'description is too long (maximum is 140 characters)');
    }
    const logUrl = str(body.log_url);
    const status = {
      id: nextId(),
      state: stateName,
      description,
      ...(logUrl ? { logUrl } : {}),
      createdAt: now(),
    };
    deployment.statuses.push(status);
    return c.json(deploymentStatusJson(found.w, deployment, status), 201);
  });

  app.get('/repos/:owner/:repo/issues', (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const labels = (c.req.query('labels') ?? '').split(',').filter(Boolean);
    const wanted = c.req.query('state') ?? 'open';
    const issues = found.records.issues
      .filter((i) => wanted === 'all' || i.state === wanted)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .sort((a, b) =>
        c.req.query('direction') === 'asc' ? a.number - b.number : b.number - a.number,
      );
    return c.json(issues.map((i) => issueJson(found.w, i)));
  });

  app.post('/repos/:owner/:repo/issues', async (c) => {
    const found = recordsOf(state, c);
    if (!found) return notFound(c);
    const body = await bodyOf(c);
    const title = str(body?.title);
    if (!body || !title) return invalid(c, 'title is required');
    const text = str(body.body) ?? '';
    if (text.length > BODY_LIMIT)
      return invalid(c, 'Body is too long (maximum is 65536 characters)');
    const labels = Array.isArray(body.labels) ? (body.labels as unknown[]).map(String) : [];
    // Issues and pull requests share one sequence of numbers.
    const used = [...found.records.pulls.keys(), ...found.records.issues.map((i) => i.number)];
    const at = now();
    const issue = {
      number: Math.max(0, ...used) + 1,
      title,
      body: text,
      state: 'open' as const,
      labels,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
    };
    found.records.issues.push(issue);
    return c.json(issueJson(found.w, issue), 201);
  });

  app.patch('/repos/:owner/:repo/issues/:number{[0-9]+}', async (c) => {
    const found = recordsOf(state, c);
    const issue = found?.records.issues.find((i) => i.number === Number(c.req.param('number')));
    if (!found || !issue) return notFound(c);
    const body = (await bodyOf(c)) ?? {};
    const text = str(body.body);
    if (text !== undefined && text.length > BODY_LIMIT) {
      return invalid(c, 'Body is too long (maximum is 65536 characters)');
    }
    if (text !== undefined) issue.body = text;
    const title = str(body.title);
    if (title) issue.title = title;
    const next = str(body.state);
    if (next === 'open' || next === 'closed') {
      issue.closedAt = next === 'closed' ? now() : null;
      issue.state = next;
    }
    issue.updatedAt = now();
    return c.json(issueJson(found.w, issue));
  });
}
