/**
 * `plumbline serve`: runs the Node runtime (webhook endpoint, health endpoint, in-process
 * queue and consumer) until SIGINT or SIGTERM, then shuts down gracefully. With no flags it
 * starts on the embedded defaults and answers `/healthz`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import type { RunJob } from '../../lib/jobs/job-context.ts';
import { jsonLogger } from '../../lib/ports/logger.ts';
import { dataDirectory } from '../node/data-dir.ts';
import {
  type EmbeddedDefault,
  embeddedDefault,
  embeddedInstructions,
} from '../node/embedded-default.ts';
import { nodeKubeClient } from '../node/kube-transport.ts';
import { loadKubeconfig } from '../node/kubeconfig.ts';
import { missingSettings, settingsSource } from '../node/missing-settings.ts';
import { nodeReconciler, reconcilerOptionsFromEnv } from '../node/reconciler.ts';
import { loadSettings, nothingConfigured } from '../node/settings.ts';
import { historyPath, sqliteHistory } from '../node/sqlite-history.ts';
import { textLogger } from '../node/text-logger.ts';
import { startNodeRuntime } from '../node.ts';
import type { CliIo, CommandMain } from './command.ts';

const HELP = `Usage: plumbline serve [options]

Serves the GitHub webhook (POST /webhooks/github), a health check (GET /healthz), the status
page (GET /) with its JSON API (GET /api/v1/...) and GitHub App setup (GET /setup/github), and
runs reconcile jobs in this process, recording each run in the history (SQLite in the data
directory).

Options:
  --port N           port to listen on (default: $PORT, the settings file, else 8080; 0: any)
  --host ADDRESS     address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --config FILE      runtime settings file (YAML or JSON), see docs/configuration.md
  -h, --help         show this help

With nothing configured (no --config and none of the variables below), it runs the embedded
default: it watches a demo repository it creates in its data directory from examples/ and
deploys it to this machine, healing hand edits, so you can see the whole loop at once:
  --repo PATH|URL    watch this repository instead of the demo (polled, no webhooks)
  --demo-dir DIR     where the demo repository lives (default: <data dir>/demo)
  --data-dir DIR     Plumbline's data directory (default: $PLUMBLINE_DATA_DIR, else
                     $XDG_DATA_HOME/plumbline, else ~/.local/share/plumbline)
  --kube             also deploy the demo's page to the cluster of your kubeconfig
  --kube-context NAME  that kubeconfig context (default: the current one)

Environment: PLUMBLINE_WEBHOOK_SECRETS (comma-separated, current first),
PLUMBLINE_REPOSITORIES (comma-separated owner/name, or a JSON array of repository entries),
PLUMBLINE_TARGETS (JSON array of target bindings: where each credential may go),
GITHUB_TOKEN, PLUMBLINE_GITHUB_API_URL, PORT, PLUMBLINE_SECRET_<NAME> (secrets the settings
name), KUBECONFIG (bindings with kubeconfig credentials), AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN / AWS_ENDPOINT_URL_KMS (KMS and EKS),
PLUMBLINE_SWEEP_INTERVAL (seconds between drift sweeps), PLUMBLINE_STATUS_TOKEN (the status
page's token: needed when --host is not a loopback address), PLUMBLINE_PUBLIC_URL,
PLUMBLINE_DATA_DIR (history and a registered GitHub App; default $XDG_DATA_HOME/plumbline),
PLUMBLINE_HISTORY_MAX_AGE_DAYS, PLUMBLINE_HISTORY_MAX_RUNS_PER_APP, PLUMBLINE_GITHUB_APP_ID and
PLUMBLINE_GITHUB_APP_PRIVATE_KEY or PLUMBLINE_GITHUB_APP_PRIVATE_KEY_FILE (a GitHub App instead
of GITHUB_TOKEN), PLUMBLINE_ENV_FILE (the environment file a service manager read these from:
then serve refuses to start without webhook secrets, repositories and GitHub credentials).

Exit codes: 0 stopped, 2 bad usage, 78 settings missing (a service manager should not restart).
`;

/** The exit code of a service whose settings are missing (sysexits' EX_CONFIG). */
export const EXIT_MISSING_SETTINGS = 78;

/** What the lead's wiring (and tests) inject into `serve`. */
export interface ServeOptions {
  /** Runs one job; default: the Node reconciler (`functions/node/reconciler.ts`). */
  runJob?: RunJob;
  /** Stops the server when aborted; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Runs `plumbline serve` with injectable job runner and stop signal. */
export async function serveCommand(
  args: string[],
  io: CliIo,
  options: ServeOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      repo: { type: 'string' },
      'demo-dir': { type: 'string' },
      'data-dir': { type: 'string' },
      kube: { type: 'boolean', default: false },
      'kube-context': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new ConfigError(`--port: '${values.port}' is not a port number`);
  }
  const env = options.env ?? process.env;
  const embeddedAsked =
    values.repo !== undefined || values['demo-dir'] !== undefined || values.kube;
  const embedded =
    (embeddedAsked ||
      nothingConfigured({ ...(values.config ? { file: values.config } : {}), env })) &&
    !env.PLUMBLINE_ENV_FILE
      ? await embeddedSetup(values, env, io)
      : undefined;
  const loaded = loadSettings({
    ...(values.config ? { file: values.config } : {}),
    env,
    flags: {
      ...(port === undefined ? {} : { port }),
      ...(values.host ? { host: values.host } : {}),
    },
    ...(embedded ? { embedded: embedded.settings } : {}),
  });
  // --data-dir holds everything Plumbline writes: the demo, and the history beside it.
  const settings = values['data-dir']
    ? { ...loaded, dataDir: dataDirectory(env, values['data-dir']) }
    : loaded;
  // A person is reading the embedded default's output: short lines instead of JSON.
  const logger = embedded ? textLogger(io.stdout) : jsonLogger(io.stdout);
  const missing = embedded ? [] : missingSettings(settings);
  if (missing.length > 0) {
    const source = settingsSource({
      ...(env.PLUMBLINE_ENV_FILE ? { envFile: env.PLUMBLINE_ENV_FILE } : {}),
      ...(values.config ? { configFile: values.config } : {}),
    });
    const lack = missing.map((m) => `${m.variable} (${m.consequence})`).join('; ');
    if (env.PLUMBLINE_ENV_FILE) {
      // A service: starting half-configured would only answer health checks.
      io.stderr(
        `plumbline serve: settings read from ${source} lack ${lack}.\n  hint: set them in ${env.PLUMBLINE_ENV_FILE} (KEY=value lines, mode 0600) and restart; see docs/server.md.\n`,
      );
      return EXIT_MISSING_SETTINGS;
    }
    logger.log('warn', `settings read from ${source} lack ${lack}`);
  }
  const { store, database } = sqliteHistory(historyPath(settings.dataDir), {
    retention: settings.history,
  });
  const start = (at: typeof settings) =>
    startNodeRuntime({
      settings: at,
      logger,
      history: store,
      runJob: options.runJob ?? nodeReconciler(reconcilerOptionsFromEnv(env)),
    });
  let runtime: Awaited<ReturnType<typeof start>>;
  try {
    runtime = await start(settings);
  } catch (error) {
    // The demo should start even where 8080 is taken: any free port then.
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!embedded || !inUse || port !== undefined || env.PORT) throw error;
    runtime = await start({ ...settings, port: 0 });
  }
  if (embedded) {
    io.stdout(embeddedInstructions(runtime.url, embedded));
    if (embedded.problem) logger.log('error', embedded.problem);
  }
  logger.log('info', `listening on ${runtime.url}`, {
    history: database.path,
    repositories: settings.repositories.length,
    targets: settings.targets.map((t) => t.name),
    hmacKeys: settings.webhookSecrets.length,
    namedCredentials: Object.keys(settings.secrets).sort(),
  });
  await new Promise<void>((resolve) => {
    if (options.signal) {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  logger.log('info', 'shutting down: finishing running jobs');
  await runtime.close();
  database.close();
  logger.log('info', 'stopped');
  return 0;
}

/**
 * The embedded default for these flags: the data directory, the demo (or `--repo`), and with
 * `--kube` the kubeconfig cluster once it answers (when it does not, the demo runs without it,
 * saying why).
 */
async function embeddedSetup(
  values: {
    repo?: string | undefined;
    'demo-dir'?: string | undefined;
    'data-dir'?: string | undefined;
    kube?: boolean | undefined;
    'kube-context'?: string | undefined;
  },
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<EmbeddedDefault> {
  let kube: { server: string; context: string } | undefined;
  if (values.kube || values['kube-context'] !== undefined) {
    try {
      const access = await loadKubeconfig({
        ...(env.KUBECONFIG ? { path: env.KUBECONFIG } : {}),
        ...(values['kube-context'] ? { context: values['kube-context'] } : {}),
      });
      const client = nodeKubeClient(access);
      await Promise.race([
        client.discover('', 'Namespace'),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('no answer within 10 seconds')), 10_000).unref(),
        ),
      ]);
      kube = { server: access.server.replace(/\/+$/, ''), context: access.context };
    } catch (error) {
      io.stderr(
        `The kubeconfig cluster cannot be reached (${messageOf(error)}); the demo deploys to this machine only.\n`,
      );
    }
  }
  return embeddedDefault({
    dataDir: dataDirectory(env, values['data-dir']),
    ...(values['demo-dir'] ? { demoDir: values['demo-dir'] } : {}),
    ...(values.repo ? { repo: values.repo } : {}),
    ...(kube ? { kube } : {}),
  });
}

/** `plumbline serve`. */
export const main: CommandMain = (args, io) => serveCommand(args, io);
