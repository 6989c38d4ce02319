/**
 * The Node runtime: one process serving the webhook over HTTP (`@hono/node-server`) with the
 * in-process job queue and its consumer. It wires settings into the ports `lib/` expects and
 * decides nothing itself.
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { Octokit } from '@octokit/rest';
import type { Hono } from 'hono';
import { secretKey } from '../lib/config/runtime-settings.ts';
import {
  GitSourcePoller,
  POLL_DELIVERY_PREFIX,
  type PollOutcome,
} from '../lib/flows/poll-git-source.ts';
import { sweepJobs } from '../lib/flows/sweep.ts';
import { installationOctokit } from '../lib/github/app-auth.ts';
import { convertManifestCode, type RegisteredApp } from '../lib/github/app-manifest.ts';
import { OctokitGitHost } from '../lib/github/octokit-git-host.ts';
import type { HistoryStore } from '../lib/history/history-store.ts';
import { ResilientHistory, RunRecorder } from '../lib/history/run-recorder.ts';
import { type Job, jobKey } from '../lib/jobs/job.ts';
import type { JobContext, RunJob } from '../lib/jobs/job-context.ts';
import { backoff, JobQueue, type RetryPolicy } from '../lib/jobs/job-queue.ts';
import { repoAccess } from '../lib/jobs/resolve-job.ts';
import { mergeJobs } from '../lib/jobs/supersede.ts';
import { isTransient, retryAfterOf } from '../lib/jobs/transient.ts';
import type { GitHost } from '../lib/ports/git-host.ts';
import type { PolledGitSource } from '../lib/ports/git-source.ts';
import type { Logger } from '../lib/ports/logger.ts';
import { type RegisteredRepo, StaticRepoRegistry } from '../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../lib/ports/secret-store.ts';
import { LiveJobs } from '../lib/status/live-jobs.ts';
import type { StatusAccessPolicy } from '../lib/status/status-access.ts';
import { createStatusApp } from '../lib/status/status-app.ts';
import { createApp, DEFAULT_BODY_TIMEOUT_MS } from '../lib/webhook/app.ts';
import { gitCacheDirectory, gitSourcesFor } from './node/git-sources.ts';
import { githubAppFile, saveGitHubApp } from './node/github-app-file.ts';
import { processDeliveryReads } from './node/process-delivery-reads.ts';
import type { NodeSettings } from './node/settings.ts';

/** What the Node runtime is started with. */
export interface NodeRuntimeOptions {
  settings: NodeSettings;
  /** Runs one job (the reconciler). Called at most once at a time per app. */
  runJob: RunJob;
  logger: Logger;
  /** Overrides how repositories are read (default: Octokit with the settings' token). */
  gitHostFor?: (repo: RegisteredRepo) => GitHost;
  /** Where Git sources keep their bare caches (default: `gitCacheDirectory(process.env)`). */
  gitCacheDir?: string;
  /** Jobs of different apps run at once (default 4). */
  concurrency?: number;
  /** Sweep every app this often (0 or absent: only when `sweep()` is called). */
  sweepIntervalMs?: number;
  /** How long a webhook body may take to arrive (default 10 s); headers get the same bound. */
  bodyTimeoutMs?: number;
  /** Retries of transient failures (default: 4 runs, backoff from 1 s to 30 s). */
  retry?: RetryPolicy;
  /**
   * Where runs are recorded (`plumbline serve`: SQLite in the data directory). Without one,
   * nothing is recorded and the status page has no history to show.
   */
  history?: HistoryStore;
}

const defaultBackoff = backoff(1_000, 30_000);

/**
 * Retries on Node: 5xx, rate limits, network failures and a lease held by another run, 4 runs
 * in all, 1 s doubling to 30 s, jittered; longer when GitHub names a `retry-after`.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  delayMs: (attempt, error) => Math.max(defaultBackoff(attempt), retryAfterOf(error) ?? 0),
  isTransient,
};

/** A running Node runtime. */
export interface NodeRuntime {
  /** Base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  queue: JobQueue<Job>;
  /** Enqueues a sweep job for every app of every repository; resolves with how many. */
  sweep(): Promise<number>;
  /** Polls every Git source now (each also polls on its own interval). */
  poll(): Promise<PollOutcome[]>;
  /** The history as the status page reads it (records wait in memory while the store fails). */
  history?: ResilientHistory;
  /** The settings in use now (a GitHub App registered from the setup page changes them). */
  settings(): NodeSettings;
  /** Graceful shutdown: stop accepting requests, then let running and waiting jobs finish. */
  close(): Promise<void>;
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * Who may read the status page: with `PLUMBLINE_STATUS_TOKEN` set, whoever has the token;
 * without it, anyone when the server listens on loopback only, and nobody otherwise.
 */
export function statusAccessOf(
  settings: Pick<NodeSettings, 'host' | 'statusToken'>,
): StatusAccessPolicy {
  if (settings.statusToken) return { mode: 'guarded', token: settings.statusToken };
  if (LOOPBACK_HOST.test(settings.host)) return { mode: 'open' };
  return {
    mode: 'off',
    reason: `listening on ${settings.host} without PLUMBLINE_STATUS_TOKEN`,
  };
}

/**
 * The GitHost of each repository: with a GitHub App, one per repository (its installation
 * token is scoped to it); with a token, one shared by all (one tree cache).
 */
export function gitHostsFor(
  settings: NodeSettings,
  logger: Logger,
): (repo: RegisteredRepo) => GitHost {
  const app = settings.githubApp;
  if (!app) {
    const shared = octokitGitHost(settings, logger);
    return () => shared;
  }
  const hosts = new Map<string, GitHost>();
  return (repo) => {
    let host = hosts.get(repo.fullName);
    if (!host) {
      const octokit = installationOctokit({
        app,
        repo: repo.ref,
        baseUrl: settings.githubApiUrl,
        ...(repo.installationId ? { installationId: repo.installationId } : {}),
        log: {
          warn: (message) => logger.log('warn', message),
          error: (message) => logger.log('error', message),
        },
      });
      host = new OctokitGitHost({ octokit });
      hosts.set(repo.fullName, host);
    }
    return host;
  };
}

/** An Octokit-backed GitHost shared by every repository (one token, one tree cache). */
export function octokitGitHost(settings: NodeSettings, logger: Logger): GitHost {
  const octokit = new Octokit({
    baseUrl: settings.githubApiUrl,
    userAgent: 'plumbline',
    ...(settings.githubToken ? { auth: settings.githubToken } : {}),
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.log('warn', message),
      error: (message: string) => logger.log('error', message),
    },
  });
  return new OctokitGitHost({ octokit });
}

/**
 * The ports jobs run with: the settings' repositories, target bindings and secrets (one
 * store; each binding and repository names the secrets it uses).
 */
export function jobContextOf(
  settings: NodeSettings,
  logger: Logger,
  gitHostFor?: (repo: RegisteredRepo) => GitHost,
  gitCacheDir: string = gitCacheDirectory(process.env),
): Omit<JobContext, 'gitSourceFor'> & { gitSourceFor: (repo: RegisteredRepo) => PolledGitSource } {
  return {
    registry: new StaticRepoRegistry(settings.repositories),
    gitHostFor: gitHostFor ?? gitHostsFor(settings, logger),
    gitSourceFor: gitSourcesFor(settings, gitCacheDir),
    targets: settings.targets,
    secrets: new MemorySecretStore(settings.secrets, secretKey),
    logger,
  };
}

/** Starts the HTTP server and the consumer. */
export async function startNodeRuntime(options: NodeRuntimeOptions): Promise<NodeRuntime> {
  const { logger } = options;
  let settings = options.settings;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  // The webhook and the jobs share the GitHosts, so a tree read by one is cached for the other.
  // Both are rebuilt when a GitHub App is registered from the setup page (no restart).
  let context = jobContextOf(settings, logger, options.gitHostFor, options.gitCacheDir);
  const live = new LiveJobs(`node/${hostname()}/${process.pid}`);
  const history = options.history ? new ResilientHistory(options.history, logger) : undefined;
  const recorder = history
    ? new RunRecorder({
        history,
        logger,
        // GitHub's commit API, or `git log` for a Git source.
        sourceFor: (repo) => repoAccess(repo, context).source,
        lookupRepo: (name) => context.registry.lookup(name),
      })
    : undefined;
  const queue = new JobQueue<Job>({
    keyOf: jobKey,
    run: (job) =>
      live.running(job, async () => {
        const jobContext = context;
        if (!recorder) {
          await options.runJob(job, jobContext);
          return;
        }
        await recorder.run(job, () => options.runJob(job, jobContext));
      }),
    merge: mergeJobs,
    retry: options.retry ?? DEFAULT_RETRY,
    logger,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  const jobs = live.watch(queue);
  const webhookOf = (): Hono =>
    createApp({
      secrets: settings.webhookSecrets,
      registry: context.registry,
      gitHostFor: context.gitHostFor,
      queue: jobs,
      // The jobs of a delivery run here too: they reuse what the webhook read for it.
      deliveryReads: processDeliveryReads,
      logger,
      maxBodyBytes: settings.maxBodyBytes,
      bodyTimeoutMs,
      health: () => ({ queue: queue.stats() }),
    });
  let webhook = webhookOf();
  /** Saves a GitHub App registered from the setup page and starts using it. */
  const keepApp = async (app: RegisteredApp): Promise<string> => {
    const file = githubAppFile(settings.dataDir);
    saveGitHubApp(file, app);
    settings = {
      ...settings,
      githubApp: { appId: String(app.id), privateKey: app.privateKey },
      webhookSecrets: [...settings.webhookSecrets, app.webhookSecret],
      githubAppFile: file,
    };
    context = jobContextOf(settings, logger, options.gitHostFor, options.gitCacheDir);
    webhook = webhookOf();
    return file;
  };
  const access = statusAccessOf(settings);
  if (access.mode === 'off') {
    logger.log('warn', `status page off: ${access.reason}; set it to serve the page and API`);
  }
  const status = history
    ? createStatusApp({
        history,
        live: () => live.all(),
        access,
        logger,
        setup: {
          configured: () => Boolean(settings.githubToken || settings.githubApp),
          githubApiUrl: settings.githubApiUrl,
          exchange: (code) =>
            convertManifestCode(
              new Octokit({ baseUrl: settings.githubApiUrl, userAgent: 'plumbline' }),
              code,
            ),
          keeper: { kind: 'settings-file', save: keepApp },
          logger,
          ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}),
        },
      })
    : undefined;
  const fetch = (request: Request): Response | Promise<Response> => {
    const path = new URL(request.url).pathname;
    const app = status && path !== '/healthz' && !path.startsWith('/webhooks/') ? status : webhook;
    return app.fetch(request);
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch,
        port: settings.port,
        hostname: settings.host,
        // Slow headers and slow bodies are cut off by Node itself too (the webhook's own
        // deadline answers 408 first); without these a client sending one byte a second
        // holds a socket for the default five minutes, or forever between requests.
        serverOptions: {
          headersTimeout: bodyTimeoutMs,
          requestTimeout: bodyTimeoutMs + 5_000,
          keepAliveTimeout: 5_000,
          connectionsCheckingInterval: Math.min(1_000, bodyTimeoutMs),
        },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  let closing: Promise<void> | undefined;
  const sweep = async () => {
    const found = await sweepJobs(context, {
      sweepId: `sweep-${new Date().toISOString()}`,
      logger,
    });
    for (const job of found) await jobs.send(job);
    logger.log('info', 'sweep enqueued', { apps: found.length });
    return found.length;
  };
  // The timer never keeps the process alive by itself; a failed listing is logged and retried
  // at the next tick.
  let listing: Promise<number> | undefined;
  const sweepMs = options.sweepIntervalMs ?? (settings.sweepIntervalSeconds ?? 0) * 1000;
  const timer =
    sweepMs > 0
      ? setInterval(() => {
          // A tick while the previous listing is still running is skipped, not stacked.
          if (listing) return;
          listing = sweep()
            .catch((error: unknown) => {
              logger.log('error', 'sweep failed', { error: String(error) });
              return 0;
            })
            .finally(() => {
              listing = undefined;
            });
        }, sweepMs)
      : undefined;
  timer?.unref();
  // Git sources have no webhooks: each is polled at its own interval, from start-up on.
  const pollers = context.registry
    .all()
    .filter((repo) => repo.git !== undefined)
    .map((repo) => ({
      repo,
      poller: new GitSourcePoller({
        repo,
        source: context.gitSourceFor(repo),
        queue,
        logger,
      }),
      running: undefined as Promise<PollOutcome> | undefined,
    }));
  const pollOne = (entry: (typeof pollers)[number]): Promise<PollOutcome> => {
    entry.running ??= entry.poller
      .poll(`${POLL_DELIVERY_PREFIX}${new Date().toISOString()}`)
      .catch((error: unknown): PollOutcome => {
        logger.log('error', 'poll failed', { repo: entry.repo.fullName, error: String(error) });
        return { status: 'unreachable', reason: String(error) };
      })
      .finally(() => {
        entry.running = undefined;
      });
    return entry.running;
  };
  const pollTimers = pollers.map((entry) => {
    void pollOne(entry);
    const every = setInterval(
      () => void pollOne(entry),
      (entry.repo.git?.pollIntervalSeconds ?? 60) * 1000,
    );
    every.unref();
    return every;
  });
  return {
    url: `http://${host}:${port}`,
    port,
    queue,
    sweep,
    poll: () => Promise.all(pollers.map(pollOne)),
    ...(history ? { history } : {}),
    settings: () => settings,
    close() {
      if (timer) clearInterval(timer);
      for (const every of pollTimers) clearInterval(every);
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        });
        await queue.close();
      })();
      return closing;
    },
  };
}
