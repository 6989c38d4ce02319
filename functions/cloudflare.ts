/**
 * The Cloudflare Workers runtime: `fetch` serves the webhook (and status), `scheduled` enqueues
 * the cron sweep's jobs, `queue` consumes jobs, and `AppJobs` is the Durable Object that runs
 * one app's jobs one at a time through `lib/flows` (deploy, plan, sweep). This file turns `env`
 * into the ports `lib/` expects and decides nothing itself; `wrangler.toml` binds it.
 */
import { Octokit } from '@octokit/rest';
import type { Hono } from 'hono';
import { createClusterAccess } from '../lib/credentials/cluster-access.ts';
import { repoDecryptors } from '../lib/credentials/repo-decryptors.ts';
import { runFlow } from '../lib/flows/run-flow.ts';
import { sweepJobs } from '../lib/flows/sweep.ts';
import { convertManifestCode } from '../lib/github/app-manifest.ts';
import { ResilientHistory, RunRecorder } from '../lib/history/run-recorder.ts';
import { SqlHistoryStore } from '../lib/history/sql-history-store.ts';
import { createHostAccess } from '../lib/hosts/host-access.ts';
import type { GitHost } from '../lib/ports/git-host.ts';
import { jsonLogger, type Logger } from '../lib/ports/logger.ts';
import type { RegisteredRepo } from '../lib/ports/repo-registry.ts';
import { type RepoRegistry, StaticRepoRegistry } from '../lib/ports/repo-registry.ts';
import type { SecretStore } from '../lib/ports/secret-store.ts';
import { type RenderPort, renderApp, workersLimits } from '../lib/render/index.ts';
import type { StatusAccessPolicy } from '../lib/status/status-access.ts';
import { createStatusApp } from '../lib/status/status-app.ts';
import { createApp } from '../lib/webhook/app.ts';
import { AppJobsObject, type AppJobsRuntime } from './cloudflare/app-jobs.ts';
import { workersClusterTransport } from './cloudflare/cluster-transport.ts';
import { consumeJobs } from './cloudflare/consume-jobs.ts';
import { d1Database } from './cloudflare/d1-history.ts';
import { envSecretStore } from './cloudflare/env-secret-store.ts';
import { githubHosts } from './cloudflare/github-client.ts';
import { verdictOf } from './cloudflare/job-verdict.ts';
import { workersQueue } from './cloudflare/queue-producer.ts';
import { settingsFromEnv, type WorkerSettings } from './cloudflare/settings.ts';
import { workersDial } from './cloudflare/ssh-socket.ts';
import { createWorkerApp } from './cloudflare/worker-app.ts';
import type {
  ExecutionContext,
  MessageBatch,
  ScheduledController,
  WorkerEnv,
} from './cloudflare/worker-env.ts';

/** The ports of one `env`: built once per isolate, so caches and token sources are reused. */
interface Ports {
  settings: WorkerSettings;
  logger: Logger;
  registry: RepoRegistry;
  gitHostFor: (repo: RegisteredRepo) => GitHost;
  secrets: SecretStore;
  http: Hono;
  /** The run history (absent without the `HISTORY` binding). */
  history?: ResilientHistory;
}

const portsByEnv = new WeakMap<WorkerEnv, Ports>();

function portsOf(env: WorkerEnv): Ports {
  const known = portsByEnv.get(env);
  if (known) return known;
  const settings = settingsFromEnv(env);
  const logger = jsonLogger((line) => console.log(line.trimEnd()), undefined, settings.logLevel);
  const registry = new StaticRepoRegistry(settings.repositories);
  const gitHostFor = githubHosts({
    apiUrl: settings.githubApiUrl,
    auth: settings.github,
    logger,
  });
  const webhook = createApp({
    secrets: settings.webhookSecrets,
    registry,
    gitHostFor,
    queue: workersQueue(env.JOBS),
    logger,
    maxBodyBytes: settings.maxBodyBytes,
    health: () => ({ runtime: 'cloudflare-workers' }),
  });
  const history = env.HISTORY
    ? new ResilientHistory(
        new SqlHistoryStore(d1Database(env.HISTORY), { retention: settings.history }),
        logger,
      )
    : undefined;
  // The status routes: a bearer token for scripts, Cloudflare Access for people; neither: off.
  const access: StatusAccessPolicy =
    settings.statusToken || settings.access
      ? {
          mode: 'guarded',
          ...(settings.statusToken ? { token: settings.statusToken } : {}),
          ...(settings.access ? { access: settings.access } : {}),
        }
      : { mode: 'off', reason: 'neither PLUMBLINE_STATUS_TOKEN nor Cloudflare Access is set' };
  const status =
    history && access.mode === 'guarded'
      ? createStatusApp({
          history,
          access,
          logger,
          setup: {
            configured: () => settings.github.kind !== 'anonymous',
            githubApiUrl: settings.githubApiUrl,
            exchange: (code) =>
              convertManifestCode(
                new Octokit({ baseUrl: settings.githubApiUrl, userAgent: 'plumbline' }),
                code,
              ),
            // A Worker cannot set its own secrets: the page prints the commands.
            keeper: { kind: 'wrangler' },
            logger,
            ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}),
          },
        })
      : undefined;
  const http = createWorkerApp({
    webhook,
    appJobs: env.APP_JOBS,
    access,
    ...(status ? { status } : {}),
  });
  const ports = {
    settings,
    logger,
    registry,
    gitHostFor,
    secrets: envSecretStore(env),
    http,
    ...(history ? { history } : {}),
  };
  portsByEnv.set(env, ports);
  return ports;
}

/** Renders with the limits of a Worker isolate. */
const workersRender: RenderPort = (tree, appPath, options = {}) =>
  renderApp(tree, appPath, { ...options, limits: { ...workersLimits, ...options.limits } });

/** The reconciler an `AppJobs` object runs jobs with. */
function reconcilerOf(env: WorkerEnv, holder: string): AppJobsRuntime {
  const { settings, logger, registry, gitHostFor, secrets, history } = portsOf(env);
  const aws = settings.aws;
  const clusters = createClusterAccess({
    secrets,
    transport: workersClusterTransport(),
    ...(aws ? { aws: async () => aws } : {}),
  });
  // Each repository's SOPS files open only with the keys its settings entry lists.
  const decryptors = repoDecryptors({
    secrets,
    ...(aws
      ? {
          kms: {
            credentials: aws,
            ...(settings.kmsEndpoint ? { endpoint: settings.kmsEndpoint } : {}),
          },
        }
      : {}),
  });
  const deps = {
    registry,
    gitHostFor,
    targets: settings.targets,
    logger,
    clusters,
    // Hosts of files apps over connect(); local bindings need Node and are refused on use.
    hosts: createHostAccess({
      bindings: settings.targets,
      secrets,
      dial: workersDial,
      ...(aws
        ? {
            kms: {
              credentials: aws,
              ...(settings.kmsEndpoint ? { endpoint: settings.kmsEndpoint } : {}),
            },
          }
        : {}),
      runtime: 'Cloudflare Workers',
    }),
    holder,
    decryptorFor: (repo: RegisteredRepo) => decryptors(repo),
    // Workers have no threads to sandbox a render in: it runs in this isolate, whose memory and
    // CPU limits bound it, with render limits sized for its 128 MB (docs/security.md).
    render: workersRender,
  };
  // Every run lands in the history: what the flow ended with, or what it threw.
  const recorder = history
    ? new RunRecorder({
        history,
        logger,
        sourceFor: gitHostFor,
        lookupRepo: (name) => registry.lookup(name),
      })
    : undefined;
  return {
    logger,
    run: async (job) =>
      verdictOf(
        await (recorder ? recorder.run(job, () => runFlow(job, deps)) : runFlow(job, deps)),
      ),
  };
}

/** The Durable Object class bound as `APP_JOBS`. */
export class AppJobs extends AppJobsObject<WorkerEnv> {
  protected createRuntime(env: WorkerEnv, holder: string): AppJobsRuntime {
    return reconcilerOf(env, holder);
  }
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    return Promise.resolve(portsOf(env).http.fetch(request, env, ctx));
  },

  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const { logger, registry, gitHostFor } = portsOf(env);
    const sweepId = `sweep-${new Date(controller.scheduledTime).toISOString()}`;
    const jobs = await sweepJobs({ registry, gitHostFor }, { sweepId, logger });
    const queue = workersQueue(env.JOBS);
    for (const job of jobs) await queue.send(job);
    logger.log('info', 'sweep enqueued', { sweep: sweepId, apps: jobs.length });
  },

  async queue(batch: MessageBatch<unknown>, env: WorkerEnv): Promise<void> {
    const { settings, logger } = portsOf(env);
    await consumeJobs(batch, {
      appJobs: env.APP_JOBS,
      logger,
      deadLetterQueue: settings.deadLetterQueue,
      retryBaseSeconds: settings.retryBaseSeconds,
    });
  },
};
