/**
 * Runtime settings of the Node runtime (`plumbline serve`): embedded defaults, overridden by a
 * settings file, then by environment variables, then by flags. Only `functions/` reads the
 * environment; `lib/` receives plain values.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { type HostBinding, parseHostBindings } from '../../lib/config/host-binding.ts';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/webhook/app.ts';

/** Everything the Node runtime is configured with. */
export interface NodeSettings {
  port: number;
  host: string;
  /** Webhook secrets, current first. Empty: every delivery is refused. */
  webhookSecrets: string[];
  /** `owner/name` of the repositories served. */
  repositories: string[];
  /** Token for the GitHub API; absent: anonymous (public repositories only). */
  githubToken?: string;
  githubApiUrl: string;
  maxBodyBytes: number;
  /** Secrets `plumbline.yaml` refers to by name (`token.secret`, `tokenRequest.bootstrapSecret`). */
  secrets: Record<string, string>;
  /** Authenticate as a GitHub App (installation tokens per repository) instead of a token. */
  githubApp?: { appId: string; privateKey: string };
  /** Sweep every app this often; 0: never (use `plumbline sweep` from cron instead). */
  sweepIntervalSeconds?: number;
  /** Hosts `files` apps may deploy to (the settings file's `hosts:`). */
  hosts: HostBinding[];
}

/** What `plumbline serve` runs with when given nothing: it starts and answers `/healthz`. */
export const DEFAULT_SETTINGS: NodeSettings = {
  port: 8080,
  host: '127.0.0.1',
  webhookSecrets: [],
  repositories: [],
  githubApiUrl: 'https://api.github.com',
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  secrets: {},
  hosts: [],
};

/** Environment variables `PLUMBLINE_SECRET_<NAME>` hold the secret `<name>`. */
const SECRET_ENV_PREFIX = 'PLUMBLINE_SECRET_';

/** The environment variable holding secret `name`: `staging-token` -> `PLUMBLINE_SECRET_STAGING_TOKEN`. */
export function secretEnvName(name: string): string {
  return `${SECRET_ENV_PREFIX}${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const SettingsFileSchema = z.strictObject({
  port: z.int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  webhookSecrets: z.array(z.string().min(1)).optional(),
  repositories: z.array(z.string()).optional(),
  githubApiUrl: z.url().optional(),
  maxBodyBytes: z.int().positive().optional(),
  secrets: z.record(z.string().min(1), z.string().min(1)).optional(),
  sweepIntervalSeconds: z.int().min(0).optional(),
  // Validated by its own schema (lib/config/host-binding.ts), for messages naming the binding.
  hosts: z.array(z.unknown()).optional(),
});

/** Where settings come from, besides the defaults. */
export interface SettingsSources {
  /** Path of a YAML or JSON settings file. */
  file?: string;
  env: Record<string, string | undefined>;
  flags: { port?: number; host?: string };
}

/** A comma-separated list, trimmed, empty items dropped. */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readSettingsFile(file: string): z.infer<typeof SettingsFileSchema> {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the settings file: ${messageOf(error)}`, {
      file,
      cause: error,
    });
  }
  const result = SettingsFileSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
    throw new ConfigError(`${file}: invalid settings: ${issues.join('; ')}`, {
      file,
      hint: 'See docs/configuration.md, "Runtime settings".',
    });
  }
  return result.data;
}

/** Resolves the settings: defaults < file < environment < flags. */
export function loadSettings(sources: SettingsSources): NodeSettings {
  const fromFile = sources.file ? readSettingsFile(sources.file) : {};
  const { env } = sources;
  const envPort = env.PORT === undefined ? undefined : Number(env.PORT);
  if (envPort !== undefined && !(Number.isInteger(envPort) && envPort >= 0 && envPort <= 65535)) {
    throw new ConfigError(`PORT: '${env.PORT}' is not a port number`);
  }
  const githubToken = env.GITHUB_TOKEN;
  // Secrets from the environment are keyed by their variable's suffix; a secret named in the
  // file is also looked up under its environment name, which wins.
  const secrets: Record<string, string> = { ...(fromFile.secrets ?? {}) };
  for (const name of Object.keys(secrets)) {
    const value = env[secretEnvName(name)];
    if (value) secrets[name] = value;
  }
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(SECRET_ENV_PREFIX) || !value) continue;
    const name = variable.slice(SECRET_ENV_PREFIX.length).toLowerCase().replaceAll('_', '-');
    if (!Object.keys(secrets).some((known) => secretEnvName(known) === variable)) {
      secrets[name] = value;
    }
  }
  const sweepIntervalSeconds =
    env.PLUMBLINE_SWEEP_INTERVAL === undefined
      ? fromFile.sweepIntervalSeconds
      : Number(env.PLUMBLINE_SWEEP_INTERVAL);
  if (
    sweepIntervalSeconds !== undefined &&
    !(Number.isInteger(sweepIntervalSeconds) && sweepIntervalSeconds >= 0)
  ) {
    throw new ConfigError(
      `PLUMBLINE_SWEEP_INTERVAL: '${env.PLUMBLINE_SWEEP_INTERVAL}' is not a number of seconds`,
    );
  }
  // A GitHub App's key comes from the environment or a file, never from the settings file.
  const appKey =
    env.PLUMBLINE_GITHUB_APP_PRIVATE_KEY ??
    (env.PLUMBLINE_GITHUB_APP_PRIVATE_KEY_FILE
      ? readFileSync(env.PLUMBLINE_GITHUB_APP_PRIVATE_KEY_FILE, 'utf8')
      : undefined);
  if (Boolean(env.PLUMBLINE_GITHUB_APP_ID) !== Boolean(appKey)) {
    throw new ConfigError(
      env.PLUMBLINE_GITHUB_APP_ID
        ? 'PLUMBLINE_GITHUB_APP_ID is set but the App has no private key'
        : 'a GitHub App private key is set but PLUMBLINE_GITHUB_APP_ID is not',
      {
        hint: 'Set both PLUMBLINE_GITHUB_APP_ID and PLUMBLINE_GITHUB_APP_PRIVATE_KEY (or _FILE), or neither to use GITHUB_TOKEN.',
      },
    );
  }
  const githubApp =
    env.PLUMBLINE_GITHUB_APP_ID && appKey
      ? { appId: env.PLUMBLINE_GITHUB_APP_ID, privateKey: appKey }
      : undefined;
  const hosts = parseHostBindings(fromFile.hosts ?? [], sources.file ?? 'settings');
  return {
    hosts,
    ...(githubApp ? { githubApp } : {}),
    ...(sweepIntervalSeconds ? { sweepIntervalSeconds } : {}),
    secrets,
    port: sources.flags.port ?? envPort ?? fromFile.port ?? DEFAULT_SETTINGS.port,
    host: sources.flags.host ?? fromFile.host ?? DEFAULT_SETTINGS.host,
    webhookSecrets:
      list(env.PLUMBLINE_WEBHOOK_SECRETS) ??
      fromFile.webhookSecrets ??
      DEFAULT_SETTINGS.webhookSecrets,
    repositories:
      list(env.PLUMBLINE_REPOSITORIES) ?? fromFile.repositories ?? DEFAULT_SETTINGS.repositories,
    githubApiUrl:
      env.PLUMBLINE_GITHUB_API_URL ?? fromFile.githubApiUrl ?? DEFAULT_SETTINGS.githubApiUrl,
    maxBodyBytes: fromFile.maxBodyBytes ?? DEFAULT_SETTINGS.maxBodyBytes,
    ...(githubToken ? { githubToken } : {}),
  };
}
