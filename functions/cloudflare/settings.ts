/**
 * The Workers runtime's settings: the `env` strings of `wrangler.toml` (vars) and
 * `wrangler secret put` (secrets), validated once here and typed for everything after. The
 * shared part (repositories, target bindings from the JSON var `PLUMBLINE_TARGETS`, secrets,
 * webhook) goes through the one schema both runtimes use (`lib/config/runtime-settings.ts`).
 * A missing or malformed setting fails with a `ConfigError` naming the variable, never its
 * value.
 */
import {
  listFromString,
  type NameSetting,
  type RuntimeSettings,
  runtimeSettingsOf,
  SETTINGS_HINT,
  SettingsError,
  SharedSettingsSchema,
  secretsFromVariables,
  secretVariableName,
  settingPath,
  validateSettings,
} from '../../lib/config/runtime-settings.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { LogLevel } from '../../lib/ports/logger.ts';

/** The string-valued part of `env`: vars and secrets. Bindings are typed in `worker-env.ts`. */
export type EnvStrings = Record<string, unknown>;

/** How the Worker authenticates to GitHub. */
export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string }
  | { kind: 'anonymous' };

/** Everything the Workers runtime is configured with. */
export interface WorkerSettings extends RuntimeSettings {
  github: GitHubAuth;
  logLevel: LogLevel;
  /** AWS credentials for KMS (SOPS) and STS presigning (EKS), when given. */
  aws?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  kmsEndpoint?: string;
  /** First retry delay of a transiently failed job; doubles per attempt up to 15 minutes. */
  retryBaseSeconds: number;
  /** Name of the dead-letter queue, so the consumer knows which batches are dead letters. */
  deadLetterQueue: string;
  /** Bearer token of the status page, its API and `GET /status/*`. */
  statusToken?: string;
  /** Cloudflare Access in front of the status page: team domain and application audience. */
  access?: { teamDomain: string; audience: string };
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The shared settings, by field, and the variable that gives each. */
const VARIABLES = {
  webhookSecrets: 'PLUMBLINE_WEBHOOK_SECRETS',
  repositories: 'PLUMBLINE_REPOSITORIES',
  targets: 'PLUMBLINE_TARGETS',
  githubApiUrl: 'PLUMBLINE_GITHUB_API_URL',
  maxBodyBytes: 'PLUMBLINE_MAX_BODY_BYTES',
  publicUrl: 'PLUMBLINE_PUBLIC_URL',
  secrets: 'PLUMBLINE_SECRET_*',
} as const;

/** Variables of earlier versions whose meaning moved: refused, so nothing is silently dropped. */
const MOVED: Record<string, string> = {
  PLUMBLINE_CONFIG_BRANCH:
    'is no longer read: the trusted configuration is each repository\'s default branch, or the branch named by "trustedBranch" in its PLUMBLINE_REPOSITORIES entry',
  SOPS_AGE_KEY:
    'is no longer read: SOPS keys are given per repository, so one repository cannot open another\'s files. Hold the identity as PLUMBLINE_SECRET_<NAME> and list the name in "sops": {"ageKeys"} of the repository\'s PLUMBLINE_REPOSITORIES entry',
  CF_ACCESS_CLIENT_ID:
    'is no longer read: a Cloudflare Access service token belongs to the target it is for; set "access": {"clientId", "secret"} on that binding in PLUMBLINE_TARGETS',
  CF_ACCESS_CLIENT_SECRET:
    'is no longer read: hold it as PLUMBLINE_SECRET_<NAME> and name it in "access": {"secret"} of the binding in PLUMBLINE_TARGETS',
  CF_ACCESS_HOSTS:
    'is no longer read: the Access token goes to the server of the binding that names it, and nowhere else',
};

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

function positiveInt(env: EnvStrings, name: string, fallback: number, min = 1): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name}: must be an integer of at least ${min}`);
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

/** The shared settings as the Worker's variables give them, before validation. */
function sharedRaw(env: EnvStrings): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const secrets = text(env, VARIABLES.webhookSecrets);
  if (secrets !== undefined) raw.webhookSecrets = listFromString(VARIABLES.webhookSecrets, secrets);
  const repositories = text(env, VARIABLES.repositories);
  if (repositories !== undefined) {
    raw.repositories = listFromString(VARIABLES.repositories, repositories);
  }
  const targets = text(env, VARIABLES.targets);
  if (targets !== undefined) {
    if (!targets.startsWith('[')) {
      throw new SettingsError(
        [{ setting: VARIABLES.targets, message: 'must be a JSON array of target bindings' }],
        SETTINGS_HINT,
      );
    }
    raw.targets = listFromString(VARIABLES.targets, targets);
  }
  const apiUrl = text(env, VARIABLES.githubApiUrl);
  if (apiUrl !== undefined) raw.githubApiUrl = apiUrl;
  const maxBody = text(env, VARIABLES.maxBodyBytes);
  if (maxBody !== undefined) raw.maxBodyBytes = /^\d+$/.test(maxBody) ? Number(maxBody) : maxBody;
  const publicUrl = text(env, VARIABLES.publicUrl);
  if (publicUrl !== undefined) raw.publicUrl = publicUrl;
  const maxAge = text(env, 'PLUMBLINE_HISTORY_MAX_AGE_DAYS');
  const maxRuns = text(env, 'PLUMBLINE_HISTORY_MAX_RUNS_PER_APP');
  if (maxAge !== undefined || maxRuns !== undefined) {
    const number = (value: string) => (/^\d+$/.test(value) ? Number(value) : value);
    raw.history = {
      ...(maxAge === undefined ? {} : { maxAgeDays: number(maxAge) }),
      ...(maxRuns === undefined ? {} : { maxRunsPerApp: number(maxRuns) }),
    };
  }
  raw.secrets = { ...secretsFromVariables(env) };
  return raw;
}

/** `['targets', 0, 'server']` -> `PLUMBLINE_TARGETS[0].server`. */
const nameOf: NameSetting = (path) => {
  const [top, ...rest] = path;
  const variable =
    typeof top === 'string' && top in VARIABLES
      ? VARIABLES[top as keyof typeof VARIABLES]
      : settingPath(top === undefined ? [] : [top]);
  if (top === 'secrets' && typeof rest[0] === 'string') return secretVariableName(rest[0]);
  const tail = settingPath(rest);
  return tail === '' ? variable : `${variable}${tail.startsWith('[') ? '' : '.'}${tail}`;
};

/**
 * Git sources (a repository `url`: a path or a Git remote, polled) are the Node runtime's.
 * Measured for the Worker with isomorphic-git 1.44 (its fetch-based HTTP client, an in-memory
 * file system, the Buffer polyfill it needs): the bundle would fit (+82 KiB gzip on 304 KiB
 * of a 500 KiB budget), memory would not. A Worker has no disk, so every job clones again;
 * a depth-1 clone of a 2,001-file, 1,000-commit GitOps repository peaks at 81 MiB (25 heap,
 * 56 buffers) of a 128 MiB isolate and takes 20 s, the full history that change detection
 * compares needs 140 MiB, and SSH remotes cannot be reached at all. So the Worker refuses
 * them at start-up, saying where they run.
 */
function refuseGitSources(settings: RuntimeSettings): void {
  const issues = settings.repositories.flatMap((repo, i) =>
    repo.git === undefined
      ? []
      : [
          {
            setting: nameOf(['repositories', i, 'url']),
            message: `makes ${repo.fullName} a Git source, which only the Node runtime reads (plumbline serve): on Workers, serve GitHub repositories through their webhooks, or run Plumbline on Node next to the repository`,
          },
        ],
  );
  if (issues.length > 0) throw new SettingsError(issues, SETTINGS_HINT);
}

/** Reads and validates the settings in `env`. */
export function settingsFromEnv(env: EnvStrings): WorkerSettings {
  for (const [variable, why] of Object.entries(MOVED)) {
    if (text(env, variable) !== undefined) {
      throw new SettingsError([{ setting: variable, message: why }], SETTINGS_HINT);
    }
  }
  const logLevel = text(env, 'PLUMBLINE_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError(`PLUMBLINE_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const shared = runtimeSettingsOf(
    validateSettings(SharedSettingsSchema, sharedRaw(env), nameOf),
    nameOf,
  );
  refuseGitSources(shared);
  const accessKeyId = text(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = text(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = text(env, 'AWS_SESSION_TOKEN');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(
      `${accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}: missing; AWS credentials need both the key id and the secret key`,
    );
  }
  const kmsEndpoint = text(env, 'AWS_ENDPOINT_URL_KMS');
  const statusToken = text(env, 'PLUMBLINE_STATUS_TOKEN');
  const teamDomain = text(env, 'PLUMBLINE_ACCESS_TEAM_DOMAIN');
  const audience = text(env, 'PLUMBLINE_ACCESS_AUD');
  if ((teamDomain === undefined) !== (audience === undefined)) {
    throw new ConfigError(
      `${teamDomain === undefined ? 'PLUMBLINE_ACCESS_TEAM_DOMAIN' : 'PLUMBLINE_ACCESS_AUD'}: missing; Cloudflare Access needs both the team domain and the application's audience tag`,
    );
  }
  if (teamDomain !== undefined && !/^[a-z0-9-]+\.cloudflareaccess\.com$/i.test(teamDomain)) {
    throw new ConfigError(
      'PLUMBLINE_ACCESS_TEAM_DOMAIN: must be your team domain, e.g. acme.cloudflareaccess.com',
    );
  }
  return {
    ...shared,
    github: githubAuth(env),
    logLevel: logLevel as LogLevel,
    ...(accessKeyId && secretAccessKey
      ? { aws: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    ...(kmsEndpoint ? { kmsEndpoint } : {}),
    retryBaseSeconds: positiveInt(env, 'PLUMBLINE_RETRY_BASE_SECONDS', 30, 0),
    deadLetterQueue: text(env, 'PLUMBLINE_DEAD_LETTER_QUEUE') ?? 'plumbline-jobs-dlq',
    ...(statusToken ? { statusToken } : {}),
    ...(teamDomain && audience ? { access: { teamDomain, audience } } : {}),
  };
}

/** The Worker secret holding secret `name`: `staging-token` -> `PLUMBLINE_SECRET_STAGING_TOKEN`. */
export const secretBindingName = secretVariableName;
