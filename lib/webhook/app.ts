/**
 * The webhook function as a Hono app: `POST /webhooks/github` and `GET /healthz`. It verifies
 * the signature over the raw body, reads `plumbline.yaml` at the branch head to find the apps
 * tracking a pushed branch and enqueues one level-triggered reconcile job per app the push can
 * affect (`push-scope.ts`: the payload's file lists narrow the fan-out, conservatively; each
 * job still decides from the render and the cluster whether its app changed); a pull request
 * opened, updated, reopened or closed enqueues one plan job. No cluster work happens here.
 */
import { Hono } from 'hono';
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import type { AppConfig } from '../config/repo-config.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../config/runtime-settings.ts';
import { appsTracking } from '../config/trusted-config.ts';
import { ConfigError, messageOf, PlumblineError, WebhookError } from '../errors.ts';
import { ZERO_SHA } from '../flows/affected-apps.ts';
import type { DeliveryReads } from '../jobs/delivery-reads.ts';
import type { Job, PlanJob, ReconcileJob } from '../jobs/job.ts';
import { trustedConfigOf } from '../jobs/resolve-job.ts';
import type { Clock } from '../ports/clock.ts';
import { systemClock } from '../ports/clock.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue } from '../ports/queue.ts';
import { githubRepo, type RegisteredRepo, type RepoRegistry } from '../ports/repo-registry.ts';
import { clipText as clip } from './clip-text.ts';
import {
  type PullRequestEvent,
  PullRequestEventSchema,
  type PushEvent,
  PushEventSchema,
} from './push-event.ts';
import { pushScope, selectApps } from './push-scope.ts';
import { BodyRefusedError, readBoundedBody } from './read-bounded-body.ts';
import { SignatureVerifier } from './verify-signature.ts';

export { DEFAULT_MAX_BODY_BYTES } from '../config/runtime-settings.ts';

/** How long a delivery's body may take to arrive (GitHub itself gives up after 10 s). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Everything the webhook function needs, injected by the runtime. */
export interface WebhookDeps {
  /** Webhook secrets: the current one first, older ones still accepted during a rotation. */
  secrets: readonly string[];
  /** Which repositories are served. */
  registry: RepoRegistry;
  /** The Git host to read a registered repository through (per repo: tokens may differ). */
  gitHostFor: (repo: RegisteredRepo) => GitHost;
  /** Where reconcile jobs go. */
  queue: Queue<Job>;
  /**
   * Reads shared with the jobs of each delivery, when they run in this process (Node): the
   * trusted configuration the webhook reads is then the one its jobs use.
   */
  deliveryReads?: DeliveryReads;
  logger: Logger;
  clock?: Clock;
  /** Larger bodies are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** A body slower than this is refused with 408 (default 10 s). */
  bodyTimeoutMs?: number;
  /** Extra fields for `/healthz` (queue depth, say). */
  health?: () => Record<string, unknown>;
}

/** What the webhook answers, as JSON. */
export interface WebhookAnswer {
  status: 'accepted' | 'ignored' | 'pong' | 'refused';
  /** Why nothing (or what) was done. */
  reason?: string;
  /** Apps a reconcile job was enqueued for. */
  apps?: string[];
  /** Apps tracking the pushed branch that no changed file can reach: no job was enqueued. */
  untouched?: number;
  /** The pull request a plan job was enqueued for. */
  pullRequest?: number;
}

/** Pull request actions that lead to a plan job (`closed` marks the comment outdated). */
const PLANNED_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'closed']);

/** Builds the webhook app. */
export function createApp(deps: WebhookDeps): Hono {
  const app = new Hono();
  const clock = deps.clock ?? systemClock;
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const verifier = new SignatureVerifier(deps.secrets);
  if (verifier.size === 0) {
    deps.logger.log('warn', 'no webhook secret configured: every delivery will be refused');
  }

  app.get('/healthz', (c) => c.json({ status: 'ok', ...(deps.health?.() ?? {}) }));

  app.post('/webhooks/github', async (c) => {
    const started = clock.now().getTime();
    const deliveryId = clip(c.req.header('x-github-delivery') ?? '', 100);
    const event = clip(c.req.header('x-github-event') ?? '', 100);
    const body = await readBoundedBody(c.req.raw, {
      maxBytes: maxBodyBytes,
      timeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    });
    if (!(await verifier.verify(body, c.req.header('x-hub-signature-256')))) {
      throw new WebhookError('missing or invalid X-Hub-Signature-256', 401, {
        hint: "Set the webhook's secret to one of this deployment's PLUMBLINE_WEBHOOK_SECRETS.",
      });
    }
    if (event === '' || deliveryId === '') {
      throw new WebhookError('missing X-GitHub-Event or X-GitHub-Delivery header', 400);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new WebhookError('body is not valid JSON', 400);
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new WebhookError('body is not a JSON object', 400);
    }
    const answer = await route(deps, event, deliveryId, payload);
    deps.logger.log('info', `webhook ${event}: ${answer.status}`, {
      deliveryId,
      event,
      ...(answer.reason ? { reason: clip(answer.reason) } : {}),
      ...(answer.apps ? { apps: answer.apps } : {}),
      ...(answer.untouched ? { untouched: answer.untouched } : {}),
      ms: clock.now().getTime() - started,
    });
    const status = answer.status === 'pong' ? 200 : 202;
    return c.json(answer, status);
  });

  app.onError((error, c) => {
    if (error instanceof WebhookError) {
      deps.logger.log('warn', `webhook refused: ${clip(error.message)}`, {
        status: error.status,
        deliveryId: clip(c.req.header('x-github-delivery') ?? '', 100),
      });
      const answer = { status: 'refused', reason: clip(error.message) } satisfies WebhookAnswer;
      // A body left unread on the connection makes it unusable: ask the client for a new one
      // (a drained one keeps the connection for the next request).
      if (error instanceof BodyRefusedError && !error.connectionReusable) {
        c.header('connection', 'close');
      }
      return c.json(answer, error.status as 400);
    }
    // Reasons quote what failed (a branch name from the delivery, say): bounded, always.
    deps.logger.log('error', 'webhook failed', { error: clip(messageOf(error), 500) });
    const status = error instanceof PlumblineError && error.stage === 'github' ? 502 : 500;
    return c.json(
      { status: 'refused', reason: status === 502 ? clip(messageOf(error)) : 'internal error' },
      status,
    );
  });

  return app;
}

/**
 * Decides what a verified delivery leads to: the jobs it enqueues. The GitHub Action calls it
 * too, with the event its workflow runs for, so both apply the same rules.
 */
export async function route(
  deps: WebhookDeps,
  event: string,
  deliveryId: string,
  payload: object,
): Promise<WebhookAnswer> {
  switch (event) {
    case 'ping':
      return { status: 'pong' };
    case 'push': {
      const parsed = PushEventSchema.safeParse(payload);
      if (!parsed.success)
        throw new WebhookError('push payload is missing ref, after or repository', 400);
      return onPush(deps, deliveryId, parsed.data);
    }
    case 'pull_request': {
      const parsed = PullRequestEventSchema.safeParse(payload);
      if (!parsed.success)
        throw new WebhookError('pull_request payload is missing action, number or repository', 400);
      return onPullRequest(deps, deliveryId, parsed.data);
    }
    default:
      return { status: 'ignored', reason: `event '${clip(event, 40)}' is not handled` };
  }
}

/** A push: enqueue a reconcile job for every app tracking the pushed branch that it can affect. */
async function onPush(
  deps: WebhookDeps,
  deliveryId: string,
  push: PushEvent,
): Promise<WebhookAnswer> {
  const repo = githubRepo(deps.registry, push.repository.full_name);
  if (!repo) {
    return {
      status: 'ignored',
      reason: `repository ${clip(push.repository.full_name, 100)} is not configured here`,
    };
  }
  if (!push.ref.startsWith('refs/heads/')) {
    return { status: 'ignored', reason: `${clip(push.ref, 100)} is not a branch` };
  }
  const branch = push.ref.slice('refs/heads/'.length);
  if (push.deleted === true || push.after === ZERO_SHA) {
    return { status: 'ignored', reason: `branch ${clip(branch, 100)} was deleted` };
  }
  // Only the trusted configuration decides which apps a push concerns; the pushed branch's own
  // plumbline.yaml is never read here. Level-triggered: read at the trusted head now.
  let tracking: AppConfig[];
  let trustedBranch: string;
  try {
    const trusted = await trustedConfigOf(
      repo,
      deps.gitHostFor(repo),
      deliveryId,
      deps.deliveryReads,
    );
    if (!trusted) {
      return { status: 'ignored', reason: `no ${REPO_CONFIG_FILE} on the trusted branch` };
    }
    trustedBranch = trusted.branch;
    tracking = appsTracking(trusted, branch);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    deps.logger.log('error', `${repo.fullName}: trusted ${REPO_CONFIG_FILE}: ${error.message}`, {
      deliveryId,
      file: error.file,
      line: error.line,
    });
    return { status: 'ignored', reason: `the trusted ${REPO_CONFIG_FILE} is invalid` };
  }
  if (tracking.length === 0) {
    return {
      status: 'ignored',
      reason: `no app of the trusted configuration (${REPO_CONFIG_FILE} on ${clip(trustedBranch, 100)}) tracks branch ${clip(branch, 100)}`,
    };
  }
  const selection = selectApps(tracking, pushScope(push));
  const apps = selection.affected.map((app) => app.name);
  const untouched = selection.untouched.length;
  if (apps.length === 0) {
    return {
      status: 'ignored',
      reason: `no changed file reaches the ${untouched} app${untouched === 1 ? '' : 's'} tracking branch ${clip(branch, 100)}`,
      apps,
      untouched,
    };
  }
  for (const app of apps) {
    // `before` is a hint: the consumer lists what changed since then to skip unaffected apps.
    const job: ReconcileJob = {
      kind: 'reconcile',
      repo: repo.fullName,
      app,
      branch,
      deliveryId,
      ...(push.before === ZERO_SHA ? {} : { since: push.before }),
      ...(push.forced === true ? { forced: true } : {}),
    };
    await deps.queue.send(job);
  }
  return {
    status: 'accepted',
    apps,
    ...(untouched > 0 ? { untouched } : {}),
    reason: clip(selection.reason),
  };
}

/** A pull request opened, updated, reopened or closed: one level-triggered plan job. */
async function onPullRequest(
  deps: WebhookDeps,
  deliveryId: string,
  event: PullRequestEvent,
): Promise<WebhookAnswer> {
  const repo = githubRepo(deps.registry, event.repository.full_name);
  if (!repo) {
    return {
      status: 'ignored',
      reason: `repository ${clip(event.repository.full_name, 100)} is not configured here`,
    };
  }
  if (!PLANNED_ACTIONS.has(event.action)) {
    return {
      status: 'ignored',
      reason: `pull request action '${clip(event.action, 40)}' is not planned`,
    };
  }
  const job: PlanJob = { kind: 'plan', repo: repo.fullName, number: event.number, deliveryId };
  await deps.queue.send(job);
  return { status: 'accepted', pullRequest: event.number };
}
