/**
 * Whole jobs of the real Worker (`functions/cloudflare.ts`) inside workerd, for their CPU: the
 * Worker bundled for workerd runs in Miniflare with its Queue, its `AppJobs` Durable Object and
 * its D1 history, every `fetch` it makes going through the edge of the Workers tests
 * (Cloudflare Tunnel + Access in front of a real kube-apiserver, the GitHub test server behind
 * a real git repository). A job is a signed push delivery (or a sweep message on the queue)
 * until the app's Durable Object reports it finished; its CPU is what the workerd process spent
 * meanwhile (every thread, from `/proc/<pid>/task/<tid>/schedstat`, in nanoseconds), minus an
 * idle baseline measured the same way and scaled to the job's wall time, minus the status
 * requests the harness made to learn that the job finished.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { type ControlPlane, startControlPlane } from '../../test/env/control-plane.ts';
import { TestGitRepo } from '../../test/github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../test/github-server/server.ts';
import { pushDelivery } from '../../test/github-server/webhook-delivery.ts';
import { createEdge } from '../../test/workers/edge.ts';
import { WORKERS_TEST } from '../../test/workers/fixtures.ts';
import { workerdBinary } from './workerd-process.ts';

const ZERO = '0'.repeat(40);
const WORKER_URL = 'https://plumbline.example.workers.dev';
const entry = fileURLToPath(new URL('../../functions/cloudflare.ts', import.meta.url));
/** A job is asked whether it finished only after the Worker made no request for this long. */
const QUIET_MS = 250;

/** What one job cost inside workerd. */
export interface JobCost {
  /** The workerd process's CPU over the job minus the idle baseline over the same wall time. */
  cpuMs: number;
  /**
   * The workerd process's CPU until the delivery was answered (the webhook's 202) or the
   * message accepted by the queue: the first invocation (idle not subtracted: a few ms of wall).
   */
  acceptedCpuMs: number;
  /** The same without subtracting the baseline. */
  rawCpuMs: number;
  wallMs: number;
  /** The verdict the Durable Object recorded (`applied`, `in-sync`...). */
  status: string;
  /** Requests the Worker made during the job: to GitHub, to the API server (through Access). */
  githubRequests: number;
  clusterRequests: number;
  /** The GitHub requests by route ("GET /repos/{repo}/tarball/{sha}"), in order. */
  githubRoutes: string[];
}

/** One app of 20 objects (a Namespace and 19 ConfigMaps) in a repository of its own. */
export interface JobApp {
  repo: string;
  namespace: string;
  git: TestGitRepo;
}

/** The world the jobs run in, and how to run them. */
export interface WorkerJobs {
  workerdVersion: string;
  /**
   * Measures what the harness's presence costs (to subtract from every job): workerd's CPU at
   * idle, ms per wall second, and the CPU of one status request to an app's Durable Object.
   */
  calibrate(app: JobApp): Promise<{ idleCpuMsPerSecond: number; statusCallMs: number }>;
  /** Pushes the app's first commit (every object created). */
  create(app: JobApp): Promise<JobCost>;
  /** Pushes a commit that changes every ConfigMap of the app. */
  change(app: JobApp): Promise<JobCost>;
  /**
   * Runs a sweep job of the app (what the cron enqueues per app), nothing drifted; `moved`:
   * after a commit outside the app that no push announced, so the branch head is a commit the
   * isolate has not read (its repository tree is downloaded, not taken from the isolate's
   * cache of recent trees).
   */
  sweep(app: JobApp, options: { moved: boolean }): Promise<JobCost>;
  apps: JobApp[];
  stop(): Promise<void>;
}

const APP = 'web';

function plumblineYaml(namespace: string): string {
  return `apps:\n  - name: ${APP}\n    path: apps/${APP}\n    target: staging\n    namespace: ${namespace}\n`;
}

/** The app's 20 objects at `round`. */
function appFiles(namespace: string, round: number): Record<string, string> {
  const files: Record<string, string> = {
    [`apps/${APP}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
  };
  for (let i = 0; i < 19; i++) {
    files[`apps/${APP}/cm-${i}.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  labels:\n    app.kubernetes.io/part-of: ${APP}\ndata:\n  round: "${round}"\n  index: "${i}"\n`;
  }
  return files;
}

/** The workerd process Miniflare started for this process (the newest workerd child). */
function workerdChild(): number {
  let found: { pid: number; started: number } | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the command: state (3), ppid (4) ... starttime (22).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const started = Number(fields[19]);
      if (Number(fields[1]) !== process.pid || command !== 'workerd') continue;
      if (!found || started > found.started) found = { pid: Number(name), started };
    } catch {
      // The process ended while listing: not ours.
    }
  }
  if (!found) throw new Error('no workerd child process found (Miniflare did not start one?)');
  return found.pid;
}

/** CPU of every thread of `pid` so far, ms (schedstat: nanoseconds on the CPU). */
function threadsCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return ns / 1e6;
}

/** Starts the control plane, the GitHub server, the edge and the Worker in Miniflare. */
export async function startWorkerJobs(options: {
  dir: string;
  /** How many apps (each in a repository of its own) the run may use. */
  apps: number;
}): Promise<WorkerJobs> {
  const plane: ControlPlane = await startControlPlane({ workloads: false });
  let github: GitHubServer | undefined;
  let mf: Miniflare | undefined;
  const apps: JobApp[] = Array.from({ length: options.apps }, (_, i) => ({
    repo: `bench/job-${i}`,
    namespace: `bench-job-${i}`,
    git: TestGitRepo.create(),
  }));
  try {
    github = await startGitHubServer({
      repos: Object.fromEntries(apps.map((app) => [app.repo, app.git])),
      token: WORKERS_TEST.githubToken,
    });
    const origin = { server: plane.cluster.server, caPem: plane.cluster.caPem };
    const edge = createEdge({
      tunnelHost: WORKERS_TEST.tunnelHost,
      downHost: WORKERS_TEST.downHost,
      attackerHost: WORKERS_TEST.attackerHost,
      access: WORKERS_TEST.access,
      origin,
      githubAppHost: WORKERS_TEST.githubAppHost,
      githubAppId: WORKERS_TEST.githubAppId,
    });
    let clusterRequests = 0;
    let inFlight = 0;
    let lastActivity = 0;
    const outbound = async (request: Request) => {
      if (new URL(request.url).hostname === WORKERS_TEST.tunnelHost) clusterRequests++;
      inFlight++;
      try {
        return await edge(request);
      } finally {
        inFlight--;
        lastActivity = performance.now();
      }
    };
    // Bundled as wrangler bundles it for workerd (esbuild, the workerd export conditions).
    const script = join(options.dir, 'worker.js');
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      // The runtime's own modules, provided by workerd.
      external: ['cloudflare:*'],
      target: 'es2024',
      outfile: script,
      minify: true,
      logLevel: 'warning',
    });
    const target = {
      kind: 'kubernetes',
      name: 'staging',
      server: `https://${WORKERS_TEST.tunnelHost}`,
      credentials: { token: { secret: 'staging-token' } },
      access: { clientId: WORKERS_TEST.access.clientId, secret: 'cf-access' },
      repositories: apps.map((app) => app.repo),
      namespaces: apps.map((app) => app.namespace),
    };
    // Miniflare 5 takes Worker configs; its converter reads the options the Workers tests use.
    mf = new Miniflare(
      convertV4MiniflareOptions({
        workers: [
          {
            name: 'plumbline',
            modules: true,
            scriptPath: script,
            // Module names are relative to this (the bundle lies outside the working directory).
            modulesRoot: options.dir,
            // The same date as wrangler.toml, no compatibility flags (as deployed).
            compatibilityDate: '2026-11-01',
            bindings: {
              PLUMBLINE_WEBHOOK_SECRETS: WORKERS_TEST.webhookSecret,
              PLUMBLINE_REPOSITORIES: apps.map((app) => app.repo).join(','),
              PLUMBLINE_TARGETS: JSON.stringify([target]),
              PLUMBLINE_GITHUB_API_URL: github.url,
              GITHUB_TOKEN: WORKERS_TEST.githubToken,
              PLUMBLINE_SECRET_STAGING_TOKEN: plane.cluster.admin.token,
              PLUMBLINE_SECRET_CF_ACCESS: WORKERS_TEST.access.clientSecret,
              PLUMBLINE_STATUS_TOKEN: WORKERS_TEST.statusToken,
              // wrangler.toml's vars: logs at info, as deployed (the lines cost CPU too).
              PLUMBLINE_LOG_LEVEL: 'info',
              PLUMBLINE_MAX_BODY_BYTES: '1048576',
              PLUMBLINE_RETRY_BASE_SECONDS: '30',
              PLUMBLINE_DEAD_LETTER_QUEUE: 'plumbline-jobs-dlq',
            },
            queueProducers: { JOBS: { queueName: 'plumbline-jobs' } },
            queueConsumers: {
              // No batching delay: the job starts at once (wrangler.toml waits up to 5 s for a batch).
              'plumbline-jobs': {
                maxBatchSize: 10,
                maxBatchTimeout: 0,
                maxRetries: 1,
                deadLetterQueue: 'plumbline-jobs-dlq',
              },
            },
            durableObjects: { APP_JOBS: { className: 'AppJobs', useSQLite: true } },
            d1Databases: { HISTORY: 'plumbline-history' },
            outboundService: outbound,
          },
        ],
        // The Worker's JSON log lines: produced (and paid for) in workerd, dropped here.
        handleStructuredLogs: () => {},
      }),
    );
    await mf.ready;
    const pid = workerdChild();
    const workerd = mf;
    const server = github;

    // What the harness's own presence costs, measured by `calibrate` (after a warm-up job).
    let idle = 0;
    let statusCallMs = 0;

    const statusOf = async (app: JobApp) => {
      const response = await workerd.dispatchFetch(`${WORKER_URL}/status/${app.repo}/${APP}`, {
        headers: { authorization: `Bearer ${WORKERS_TEST.statusToken}` },
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`status of ${app.repo}: ${response.status}`);
      return JSON.parse(text) as {
        last?: { job: { deliveryId: string }; verdict: { status: string; reason?: string } };
      };
    };

    /**
     * Runs `start`, waits until the Worker has made no outbound request for `QUIET_MS`, then
     * asks the app's Durable Object (one status request) whether its last job is `deliveryId`;
     * again until it is. Polling from Node, not workerd, keeps the harness out of the figure.
     */
    const measured = async (
      app: JobApp,
      deliveryId: string,
      start: () => Promise<void>,
    ): Promise<JobCost> => {
      const githubFrom = server.requests.length;
      const clusterFrom = clusterRequests;
      const cpuBefore = threadsCpuMs(pid);
      const started = performance.now();
      await start();
      const acceptedMs = threadsCpuMs(pid) - cpuBefore;
      lastActivity = performance.now();
      const deadline = Date.now() + 120_000;
      let status = '';
      let checks = 0;
      for (;;) {
        await sleep(QUIET_MS / 5);
        if (Date.now() > deadline) throw new Error(`${app.repo}: job ${deliveryId} timed out`);
        if (inFlight > 0 || performance.now() - lastActivity < QUIET_MS) continue;
        checks++;
        const last = (await statusOf(app)).last;
        if (last?.job.deliveryId !== deliveryId) continue;
        status = last.verdict.status;
        if (!['applied', 'in-sync'].includes(status)) {
          throw new Error(
            `${app.repo}: job ${deliveryId} ended ${status}: ${last.verdict.reason ?? ''}`,
          );
        }
        break;
      }
      const wallMs = performance.now() - started;
      const rawCpuMs = threadsCpuMs(pid) - cpuBefore;
      return {
        rawCpuMs,
        cpuMs: rawCpuMs - (idle * wallMs) / 1000 - checks * statusCallMs,
        acceptedCpuMs: acceptedMs,
        wallMs,
        status,
        githubRequests: server.requests.length - githubFrom,
        githubRoutes: server.requests.slice(githubFrom).map(
          (r) =>
            `${r.method} ${r.path
              .replace(app.repo, '{repo}')
              .replace(/\b[0-9a-f]{40}\b/g, '{sha}')
              .replace(/\/deployments\/\d+\//, '/deployments/{id}/')}`,
        ),
        clusterRequests: clusterRequests - clusterFrom,
      };
    };

    const push = async (app: JobApp, before: string, after: string) => {
      const delivery = await pushDelivery({
        secret: WORKERS_TEST.webhookSecret,
        repo: app.repo,
        branch: 'main',
        before,
        after,
      });
      return measured(app, delivery.deliveryId, async () => {
        const response = await workerd.dispatchFetch(`${WORKER_URL}/webhooks/github`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
      });
    };

    const heads = new Map<JobApp, { head: string; round: number }>();
    const queue = await workerd.getQueueProducer<unknown>('JOBS');
    let sweeps = 0;
    return {
      workerdVersion: workerdBinary().version,
      async calibrate(app) {
        const idleBefore = threadsCpuMs(pid);
        const idleStarted = performance.now();
        await sleep(2000);
        idle = ((threadsCpuMs(pid) - idleBefore) * 1000) / (performance.now() - idleStarted);
        const calls = 10;
        const callsBefore = threadsCpuMs(pid);
        const callsStarted = performance.now();
        for (let i = 0; i < calls; i++) await statusOf(app);
        const spent = threadsCpuMs(pid) - callsBefore;
        statusCallMs = (spent - (idle * (performance.now() - callsStarted)) / 1000) / calls;
        return { idleCpuMsPerSecond: idle, statusCallMs };
      },
      apps,
      async create(app) {
        const head = app.git.commit(
          { 'plumbline.yaml': plumblineYaml(app.namespace), ...appFiles(app.namespace, 0) },
          'initial',
        );
        heads.set(app, { head, round: 0 });
        return push(app, ZERO, head);
      },
      async change(app) {
        const previous = heads.get(app);
        if (!previous) throw new Error(`${app.repo}: change before create`);
        const round = previous.round + 1;
        const head = app.git.commit(appFiles(app.namespace, round), `round ${round}`);
        heads.set(app, { head, round });
        return push(app, previous.head, head);
      },
      async sweep(app, { moved }) {
        if (moved) {
          // A commit outside the app, never pushed: the head is new to the isolate.
          const previous = heads.get(app);
          if (!previous) throw new Error(`${app.repo}: sweep before create`);
          const head = app.git.commit({ [`notes/sweep-${sweeps}.md`]: 'unrelated\n' }, 'notes');
          heads.set(app, { head, round: previous.round });
        }
        const deliveryId = `sweep-bench-${++sweeps}`;
        return measured(app, deliveryId, () =>
          queue.send(
            { kind: 'sweep', repo: app.repo, app: APP, branch: 'main', deliveryId },
            { contentType: 'json' },
          ),
        );
      },
      async stop() {
        await workerd.dispose();
        await server.close();
        for (const app of apps) app.git.remove();
        await plane.stop();
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    await github?.close().catch(() => {});
    for (const app of apps) app.git.remove();
    await plane.stop();
    throw error;
  }
}
