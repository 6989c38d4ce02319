/**
 * Runtime settings of the Node runtime (`plumbline serve`, `plumbline sweep`): embedded
 * defaults, overridden by a settings file, then by environment variables, then by flags. The
 * shared part (repositories, target bindings, secrets, webhook) is validated by the one schema
 * both runtimes use (`lib/config/runtime-settings.ts`); only `functions/` reads the
 * environment, and `lib/` receives plain values.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as z from 'zod';
import { pemBlocks } from '../../lib/config/certificate-pem.ts';
import {
  DEFAULT_RUNTIME_SETTINGS,
  listFromString,
  type NameSetting,
  type RuntimeSettings,
  runtimeSettingsOf,
  SETTINGS_HINT,
  SettingsError,
  SHARED_SETTINGS_SHAPE,
  secretKey,
  secretsFromVariables,
  secretVariableName,
  settingPath,
  validateSettings,
} from '../../lib/config/runtime-settings.ts';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import { dataDirectory } from './data-dir.ts';
import { githubAppFile, readGitHubApp } from './github-app-file.ts';

/** Everything the Node runtime is configured with. */
export interface NodeSettings extends RuntimeSettings {
  port: number;
  host: string;
  /** Token for the GitHub API; absent: anonymous (public repositories only). */
  githubToken?: string;
  /** Authenticate as a GitHub App (installation tokens per repository) instead of a token. */
  githubApp?: { appId: string; privateKey: string };
  /** Sweep every app this often; 0: never (use `plumbline sweep` from cron instead). */
  sweepIntervalSeconds?: number;
  /** Where Plumbline keeps its own files (the history database, a registered GitHub App). */
  dataDir: string;
  /** Token of the status page and API (`PLUMBLINE_STATUS_TOKEN`); needed beyond loopback. */
  statusToken?: string;
  /** The GitHub App came from the setup page's file in the data directory. */
  githubAppFile?: string;
}

/** What `plumbline serve` runs with when given nothing: it starts and answers `/healthz`. */
export const DEFAULT_SETTINGS: NodeSettings = {
  ...DEFAULT_RUNTIME_SETTINGS,
  port: 8080,
  host: '127.0.0.1',
  dataDir: dataDirectory({}),
};

/** The environment variable holding secret `name`: `staging-token` -> `PLUMBLINE_SECRET_STAGING_TOKEN`. */
export const secretEnvName = secretVariableName;

/** The settings file: the shared settings plus the Node runtime's own. */
const NodeSettingsFileSchema = z.strictObject({
  ...SHARED_SETTINGS_SHAPE,
  port: z.optional(z.int().check(z.gte(0), z.lte(65535))),
  host: z.optional(z.string().check(z.minLength(1))),
  sweepIntervalSeconds: z.optional(z.int().check(z.gte(0))),
  dataDir: z.optional(z.string().check(z.minLength(1))),
});

/** Where settings come from, besides the defaults. */
export interface SettingsSources {
  /** Path of a YAML or JSON settings file. */
  file?: string;
  env: Record<string, string | undefined>;
  flags: { port?: number; host?: string };
  /** Settings under all the others (the embedded default's demo repository and binding). */
  embedded?: Record<string, unknown>;
}

/** Variables any one of which means the operator configured this runtime. */
const CONFIGURING_VARIABLES = [
  'PLUMBLINE_REPOSITORIES',
  'PLUMBLINE_TARGETS',
  'PLUMBLINE_WEBHOOK_SECRETS',
  'GITHUB_TOKEN',
  'PLUMBLINE_GITHUB_APP_ID',
] as const;

/**
 * True when nothing configures the runtime (no settings file, none of the variables that
 * name repositories, targets or GitHub credentials): `plumbline serve` then runs the embedded
 * default.
 */
export function nothingConfigured(sources: Pick<SettingsSources, 'file' | 'env'>): boolean {
  return sources.file === undefined && CONFIGURING_VARIABLES.every((v) => !sources.env[v]);
}

/** Shared settings the environment may give, by field, and the variable that gives each. */
const FROM_ENV = {
  webhookSecrets: 'PLUMBLINE_WEBHOOK_SECRETS',
  repositories: 'PLUMBLINE_REPOSITORIES',
  targets: 'PLUMBLINE_TARGETS',
  githubApiUrl: 'PLUMBLINE_GITHUB_API_URL',
  publicUrl: 'PLUMBLINE_PUBLIC_URL',
  sweepIntervalSeconds: 'PLUMBLINE_SWEEP_INTERVAL',
  port: 'PORT',
} as const;

/** SOPS keys are per repository in a server runtime; the CLI's global variables are refused. */
const GLOBAL_SOPS_KEYS = ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE'] as const;

function readSettingsFile(file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the settings file: ${messageOf(error)}`, {
      file,
      cause: error,
    });
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SettingsError(
      [{ setting: file, message: 'must be a mapping of settings' }],
      SETTINGS_HINT,
    );
  }
  return raw as Record<string, unknown>;
}

/** The raw value of a setting given in the environment (before validation). */
function fromEnvironment(field: keyof typeof FROM_ENV, value: string): unknown {
  switch (field) {
    case 'webhookSecrets':
    case 'repositories':
      return listFromString(FROM_ENV[field], value);
    case 'targets': {
      const list = listFromString(FROM_ENV.targets, value);
      if (!value.trim().startsWith('[')) {
        throw new SettingsError(
          [{ setting: FROM_ENV.targets, message: 'must be a JSON array of target bindings' }],
          SETTINGS_HINT,
        );
      }
      return list;
    }
    case 'sweepIntervalSeconds':
    case 'port':
      return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    case 'githubApiUrl':
    case 'publicUrl':
      return value;
  }
}

/** Resolves the settings: defaults < file < environment < flags. */
export function loadSettings(sources: SettingsSources): NodeSettings {
  const { env } = sources;
  const given = sources.file ? readSettingsFile(sources.file) : {};
  const fromEnv = new Set<string>();
  const raw: Record<string, unknown> = { ...sources.embedded, ...given };
  for (const [field, variable] of Object.entries(FROM_ENV) as [keyof typeof FROM_ENV, string][]) {
    const value = env[variable];
    if (value === undefined || (value.trim() === '' && field !== 'webhookSecrets')) continue;
    raw[field] = fromEnvironment(field, value);
    fromEnv.add(field);
  }
  // Secrets: the file's, and `PLUMBLINE_SECRET_<NAME>` variables, which win. A `secrets` that
  // is not a mapping is left for the schema to refuse.
  const fileSecrets = given.secrets;
  if (
    fileSecrets === undefined ||
    (fileSecrets !== null && typeof fileSecrets === 'object' && !Array.isArray(fileSecrets))
  ) {
    const secrets = Object.create(null) as Record<string, unknown>;
    for (const [name, value] of Object.entries(fileSecrets ?? {})) secrets[name] = value;
    const byKey = new Map(Object.keys(secrets).map((name) => [secretKey(name), name]));
    for (const [name, value] of Object.entries(secretsFromVariables(env))) {
      secrets[byKey.get(secretKey(name)) ?? name] = value;
    }
    raw.secrets = { ...secrets };
  }
  // Retention from the environment, field by field over the file's.
  const historyFromEnv = new Set<string>();
  const historyEnv = {
    maxAgeDays: env.PLUMBLINE_HISTORY_MAX_AGE_DAYS,
    maxRunsPerApp: env.PLUMBLINE_HISTORY_MAX_RUNS_PER_APP,
  };
  if (historyEnv.maxAgeDays !== undefined || historyEnv.maxRunsPerApp !== undefined) {
    const given = raw.history;
    const history: Record<string, unknown> =
      given !== null && typeof given === 'object' && !Array.isArray(given) ? { ...given } : {};
    for (const [field, value] of Object.entries(historyEnv)) {
      if (value !== undefined && value.trim() !== '') {
        history[field] = /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
        historyFromEnv.add(field);
      }
    }
    raw.history = history;
  }
  const where = sources.file ?? 'settings';
  const nameOf: NameSetting = (path) => {
    const [top, field] = path;
    if (top === 'history' && typeof field === 'string' && historyFromEnv.has(field)) {
      return field === 'maxAgeDays'
        ? 'PLUMBLINE_HISTORY_MAX_AGE_DAYS'
        : 'PLUMBLINE_HISTORY_MAX_RUNS_PER_APP';
    }
    if (typeof top === 'string' && fromEnv.has(top)) {
      const rest = settingPath(path.slice(1));
      const variable = FROM_ENV[top as keyof typeof FROM_ENV];
      return rest === '' ? variable : `${variable}${rest.startsWith('[') ? '' : '.'}${rest}`;
    }
    return `${where}: ${settingPath(path) || '(top level)'}`;
  };
  const data = validateSettings(NodeSettingsFileSchema, raw, nameOf);
  const shared = runtimeSettingsOf(data, nameOf);
  checkCertificates(shared, nameOf);
  for (const variable of GLOBAL_SOPS_KEYS) {
    if (env[variable]) {
      throw new SettingsError(
        [
          {
            setting: variable,
            message:
              "is not used by a server runtime: SOPS keys are given per repository, so one repository cannot open another's files. Hold the identity as a runtime secret and name it in repositories[].sops.ageKeys",
          },
        ],
        SETTINGS_HINT,
      );
    }
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
  const dataDir = dataDirectory(env, data.dataDir);
  let githubApp =
    env.PLUMBLINE_GITHUB_APP_ID && appKey
      ? { appId: env.PLUMBLINE_GITHUB_APP_ID, privateKey: appKey }
      : undefined;
  const githubToken = env.GITHUB_TOKEN;
  // An App registered from the setup page, unless the environment names credentials.
  let savedAppFile: string | undefined;
  if (!githubApp && !githubToken) {
    const file = githubAppFile(dataDir);
    const saved = readGitHubApp(file);
    if (saved) {
      githubApp = { appId: saved.appId, privateKey: saved.privateKey };
      savedAppFile = file;
      if (!shared.webhookSecrets.includes(saved.webhookSecret)) {
        shared.webhookSecrets.push(saved.webhookSecret);
      }
    }
  }
  const statusToken = env.PLUMBLINE_STATUS_TOKEN?.trim();
  return {
    ...shared,
    dataDir,
    ...(statusToken ? { statusToken } : {}),
    ...(githubApp ? { githubApp } : {}),
    ...(savedAppFile ? { githubAppFile: savedAppFile } : {}),
    ...(data.sweepIntervalSeconds ? { sweepIntervalSeconds: data.sweepIntervalSeconds } : {}),
    port: sources.flags.port ?? data.port ?? DEFAULT_SETTINGS.port,
    host: sources.flags.host ?? data.host ?? DEFAULT_SETTINGS.host,
    ...(githubToken ? { githubToken } : {}),
  };
}

/**
 * Every binding's CA parses as X.509 with `node:crypto` too (the shared schema's check is
 * structural), so a certificate TLS would reject is refused at start-up, naming the setting.
 */
function checkCertificates(settings: RuntimeSettings, nameOf: NameSetting): void {
  settings.targets.forEach((target, i) => {
    if (target.kind !== 'kubernetes' || target.ca === undefined) return;
    const blocks = pemBlocks(target.ca);
    if (typeof blocks === 'string') return;
    for (const block of blocks) {
      try {
        new X509Certificate(`-----BEGIN CERTIFICATE-----${block.body}-----END CERTIFICATE-----`);
      } catch {
        throw new SettingsError(
          [
            {
              setting: nameOf(['targets', i, 'ca']),
              message:
                'holds a certificate that does not parse as X.509; paste the CA certificate exactly as PEM',
            },
          ],
          SETTINGS_HINT,
        );
      }
    }
  });
}
