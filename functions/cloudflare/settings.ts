/**
 * The Workers runtime's settings: the `env` strings of `wrangler.toml` (vars) and
 * `wrangler secret put` (secrets), validated once here and typed for everything after. A
 * missing or malformed setting fails with a `ConfigError` naming the variable, never its value.
 */
import { type HostBinding, parseHostBindings } from '../../lib/config/host-binding.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { LogLevel } from '../../lib/ports/logger.ts';
import type { RegisteredRepo } from '../../lib/ports/repo-registry.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/webhook/app.ts';

/** The string-valued part of `env`: vars and secrets. Bindings are typed in `worker-env.ts`. */
export type EnvStrings = Record<string, unknown>;

/** How the Worker authenticates to GitHub. */
export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string }
  | { kind: 'anonymous' };

/** A Cloudflare Access service token, sent to API servers published through Tunnel. */
export interface AccessServiceToken {
  clientId: string;
  clientSecret: string;
  /** Host names (`api.example.com`, or `*.example.com`) the token is sent to, and only those. */
  hosts: string[];
}

/** Everything the Workers runtime is configured with. */
export interface WorkerSettings {
  webhookSecrets: string[];
  repositories: Omit<RegisteredRepo, 'ref'>[];
  /** The branch whose `plumbline.yaml` lists the apps the cron sweep enqueues. */
  configBranch: string;
  githubApiUrl: string;
  github: GitHubAuth;
  maxBodyBytes: number;
  logLevel: LogLevel;
  /** AWS credentials for KMS (SOPS) and STS presigning (EKS), when given. */
  aws?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  kmsEndpoint?: string;
  ageIdentities: string[];
  access?: AccessServiceToken;
  /** First retry delay of a transiently failed job; doubles per attempt up to 15 minutes. */
  retryBaseSeconds: number;
  /** Name of the dead-letter queue, so the consumer knows which batches are dead letters. */
  deadLetterQueue: string;
  /** Bearer token of `GET /status/*`; without it the status routes answer 404. */
  statusToken?: string;
  /** Host bindings of `files` apps (`PLUMBLINE_HOSTS`, a JSON array); SSH only on Workers. */
  hostBindings: HostBinding[];
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function text(env: EnvStrings, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError(`${name}: must be a string (a var or a secret), not a ${typeof value}`, {
      hint: `Set ${name} under [vars] in wrangler.toml or with wrangler secret put ${name}.`,
    });
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A comma-separated list, trimmed, empty items dropped. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function repositories(raw: string | undefined): Omit<RegisteredRepo, 'ref'>[] {
  if (raw === undefined) return [];
  if (!raw.startsWith('[')) return list(raw).map((fullName) => ({ fullName }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLUMBLINE_REPOSITORIES: starts with [ but is not valid JSON', {
      hint: 'Use a comma-separated list of owner/name, or a JSON array of {"fullName", "installationId"}.',
    });
  }
  if (!Array.isArray(parsed)) throw new ConfigError('PLUMBLINE_REPOSITORIES: must be an array');
  return parsed.map((entry, index) => {
    if (typeof entry === 'string') return { fullName: entry };
    const item = entry as { fullName?: unknown; installationId?: unknown } | null;
    if (
      item === null ||
      typeof item !== 'object' ||
      typeof item.fullName !== 'string' ||
      (item.installationId !== undefined && !Number.isSafeInteger(item.installationId))
    ) {
      throw new ConfigError(
        `PLUMBLINE_REPOSITORIES[${index}]: must be "owner/name" or {"fullName": "owner/name", "installationId": 123}`,
      );
    }
    return {
      fullName: item.fullName,
      ...(item.installationId !== undefined
        ? { installationId: item.installationId as number }
        : {}),
    };
  });
}

function positiveInt(env: EnvStrings, name: string, fallback: number, min = 1): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name}: must be an integer of at least ${min}, got '${raw}'`);
  }
  return value;
}

function githubAuth(env: EnvStrings): GitHubAuth {
  const token = text(env, 'GITHUB_TOKEN');
  const appId = text(env, 'GITHUB_APP_ID');
  const privateKey = text(env, 'GITHUB_APP_PRIVATE_KEY');
  if (appId !== undefined || privateKey !== undefined) {
    if (appId === undefined || privateKey === undefined) {
      throw new ConfigError(
        `${appId === undefined ? 'GITHUB_APP_ID' : 'GITHUB_APP_PRIVATE_KEY'}: missing; a GitHub App needs both its id and its private key`,
        { hint: 'Set GITHUB_APP_ID as a var and GITHUB_APP_PRIVATE_KEY with wrangler secret put.' },
      );
    }
    return { kind: 'app', appId, privateKey };
  }
  return token === undefined ? { kind: 'anonymous' } : { kind: 'token', token };
}

function accessToken(env: EnvStrings): AccessServiceToken | undefined {
  const clientId = text(env, 'CF_ACCESS_CLIENT_ID');
  const clientSecret = text(env, 'CF_ACCESS_CLIENT_SECRET');
  const hosts = list(text(env, 'CF_ACCESS_HOSTS'));
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (clientId === undefined || clientSecret === undefined || hosts.length === 0) {
    const missing = [
      clientId === undefined ? 'CF_ACCESS_CLIENT_ID' : '',
      clientSecret === undefined ? 'CF_ACCESS_CLIENT_SECRET' : '',
      hosts.length === 0 ? 'CF_ACCESS_HOSTS' : '',
    ].filter(Boolean);
    throw new ConfigError(
      `${missing.join(', ')}: missing; a Cloudflare Access service token needs its id, its secret and the API server hosts it is for`,
      {
        hint: 'CF_ACCESS_HOSTS lists the Tunnel host names of API servers (e.g. k8s.example.com), so the token is never sent elsewhere.',
      },
    );
  }
  return { clientId, clientSecret, hosts };
}

/** Reads and validates the settings in `env`. */
export function settingsFromEnv(env: EnvStrings): WorkerSettings {
  const logLevel = text(env, 'PLUMBLINE_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError(
      `PLUMBLINE_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`,
    );
  }
  const accessKeyId = text(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = text(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = text(env, 'AWS_SESSION_TOKEN');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(
      `${accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}: missing; AWS credentials need both the key id and the secret key`,
    );
  }
  const kmsEndpoint = text(env, 'AWS_ENDPOINT_URL_KMS');
  const access = accessToken(env);
  const statusToken = text(env, 'PLUMBLINE_STATUS_TOKEN');
  const ageKey = text(env, 'SOPS_AGE_KEY');
  return {
    webhookSecrets: list(text(env, 'PLUMBLINE_WEBHOOK_SECRETS')),
    repositories: repositories(text(env, 'PLUMBLINE_REPOSITORIES')),
    configBranch: text(env, 'PLUMBLINE_CONFIG_BRANCH') ?? 'main',
    githubApiUrl: text(env, 'PLUMBLINE_GITHUB_API_URL') ?? 'https://api.github.com',
    github: githubAuth(env),
    maxBodyBytes: positiveInt(env, 'PLUMBLINE_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
    logLevel: logLevel as LogLevel,
    ...(accessKeyId && secretAccessKey
      ? { aws: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    ...(kmsEndpoint ? { kmsEndpoint } : {}),
    // One or more identities, or a whole key file: the age key source splits it.
    ageIdentities: ageKey ? [ageKey] : [],
    ...(access ? { access } : {}),
    retryBaseSeconds: positiveInt(env, 'PLUMBLINE_RETRY_BASE_SECONDS', 30, 0),
    deadLetterQueue: text(env, 'PLUMBLINE_DEAD_LETTER_QUEUE') ?? 'plumbline-jobs-dlq',
    ...(statusToken ? { statusToken } : {}),
    hostBindings: hostBindings(text(env, 'PLUMBLINE_HOSTS')),
  };
}

/** `PLUMBLINE_HOSTS`: the host bindings, as JSON (the Node settings file's `hosts:`). */
function hostBindings(raw: string | undefined): HostBinding[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLUMBLINE_HOSTS: not valid JSON', {
      hint: 'Write the host bindings as a JSON array (infra/ssh/README.md lists their fields).',
    });
  }
  const bindings = parseHostBindings(parsed, 'PLUMBLINE_HOSTS');
  const local = bindings.find((b) => b.kind === 'local');
  if (local) {
    throw new ConfigError(
      `PLUMBLINE_HOSTS: host binding '${local.name}' is local; a Worker has no machine of its own`,
      { hint: 'Use ssh bindings on Workers; local bindings work with plumbline serve.' },
    );
  }
  return bindings;
}

/** The env secret holding `plumbline.yaml`'s secret `name`: `staging-token` -> `PLUMBLINE_SECRET_STAGING_TOKEN`. */
export function secretBindingName(name: string): string {
  return `PLUMBLINE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
