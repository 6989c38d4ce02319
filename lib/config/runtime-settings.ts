/**
 * The runtime settings both server runtimes share, validated by one schema: the Node runtime
 * fills it from its settings file and environment (`functions/node/settings.ts`), the Worker
 * from its vars and `wrangler secret put` secrets (`functions/cloudflare/settings.ts`). These
 * are the operator's decisions, never a repository's: which repositories are served and which
 * branch of each is trusted, where each credential may go (target bindings), which SOPS keys
 * each repository may use, and the secrets themselves.
 *
 * Every refusal names the setting as the runtime spells it (`PLUMBLINE_TARGETS[0].server`,
 * `settings.yaml: targets[0].server`), never its value.
 */
import * as z from 'zod';
import { ConfigError } from '../errors.ts';
import { parseRepoFullName } from '../ports/git-host.ts';
import type { GitSourceSetting } from '../ports/git-source.ts';
import { gitRemoteProblem, parseGitRemote, suggestedRepoName } from './git-remote.ts';
import { DEFAULT_RETENTION, type HistoryRetention } from './history-retention.ts';
import { type TargetBinding, TargetBindingSchema, toTargetBinding } from './target-binding.ts';

/** Which SOPS keys a repository's files may be opened with. */
export interface RepositorySops {
  /** Names of runtime secrets holding age identities (or whole age key files). */
  ageKeys: string[];
  /** AWS KMS key ARNs (or `arn:...:key/*` prefixes) this repository's files may use. */
  kmsKeys: string[];
}

/** Seconds between two polls of a Git source when the settings name none. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;

/** A repository the deployment serves, and what the operator decided about it. */
export interface RepositorySetting {
  /** `owner/name` as configured (for a Git source: the name the operator gave it). */
  fullName: string;
  /** Present for a repository read with Git from a path or URL rather than from GitHub. */
  git?: GitSourceSetting;
  /** GitHub App installation to authenticate as. */
  installationId?: number;
  /** The branch whose `plumbline.yaml` is trusted; default: the repository's default branch. */
  trustedBranch?: string;
  /** Absent: no SOPS keys (encrypted files fail to decrypt, saying which setting to add). */
  sops?: RepositorySops;
}

/** What both server runtimes are configured with. */
export interface RuntimeSettings {
  /** Webhook secrets, current first. Empty: every delivery is refused. */
  webhookSecrets: string[];
  repositories: RepositorySetting[];
  /** Where credentials may go: the only targets apps can name. */
  targets: TargetBinding[];
  /** Named secrets (binding credentials, age identities), by name. Null prototype. */
  secrets: Record<string, string>;
  githubApiUrl: string;
  /** Larger webhook bodies are refused with 413. */
  maxBodyBytes: number;
  /** How long run records are kept. */
  history: HistoryRetention;
  /** The deployment's public address (the GitHub App's webhook and callback), when set. */
  publicUrl?: string;
}

/** Default bound on a webhook body: 1 MiB, well above any push Plumbline acts on. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Defaults of the shared settings. */
export const DEFAULT_RUNTIME_SETTINGS: RuntimeSettings = {
  webhookSecrets: [],
  repositories: [],
  targets: [],
  secrets: Object.create(null) as Record<string, string>,
  githubApiUrl: 'https://api.github.com',
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  history: DEFAULT_RETENTION,
};

/** Prefix of the variables (Node environment, Worker secrets) that hold named secrets. */
export const SECRET_VARIABLE_PREFIX = 'PLUMBLINE_SECRET_';

/** The key secrets are stored under, so `dev-token`, `dev_token` and `DEV_TOKEN` are one. */
export function secretKey(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variable holding secret `name`: `dev-token` -> `PLUMBLINE_SECRET_DEV_TOKEN`. */
export function secretVariableName(name: string): string {
  return `${SECRET_VARIABLE_PREFIX}${secretKey(name)}`;
}

const nonEmpty = z.string().check(z.minLength(1, { error: 'must not be empty' }));

const secretName = z.string().check(
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, {
    error: "must be a secret name: letters, digits, '-', '_' or '.' (e.g. 'staging-token')",
  }),
);

const branchName = z.string().check(
  z.regex(/^(?!refs\/)(?!.*\.\.)(?!.*\/\/)[^\s~^:?*[\\]{1,255}$/, {
    error: "must be a branch name without 'refs/heads/' (e.g. 'main')",
  }),
);

const httpUrl = (example: string) =>
  z.string().check(
    z.refine(
      (value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '';
        } catch {
          return false;
        }
      },
      { error: `must be an http(s) URL without user info (e.g. ${example})` },
    ),
  );

const KMS_KEY_PATTERN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/([A-Za-z0-9/_-]+|\*)$/;

/**
 * One entry of `repositories` (a bare `owner/name` is read as `{ fullName }`). With `url`,
 * the repository is a Git source (a path or a Git remote, polled); `fullName` then names it
 * (default: from the URL) for target bindings, logs and the status page.
 */
export const RepositorySettingSchema = z.strictObject({
  fullName: z.optional(
    z.string().check(
      z.refine((value) => parseRepoFullName(value) !== undefined, {
        error: "must be a repository as 'owner/name' (e.g. 'acme/deploy')",
      }),
    ),
  ),
  url: z.optional(
    z.string().check(
      z.superRefine((value, ctx) => {
        const problem = gitRemoteProblem(value);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: value });
      }),
    ),
  ),
  pollIntervalSeconds: z.optional(
    z
      .int({ error: 'must be a whole number of seconds' })
      .check(
        z.gte(1, { error: 'must be at least 1' }),
        z.lte(86_400, { error: 'must be at most 86400 (a day)' }),
      ),
  ),
  httpAuth: z.optional(z.strictObject({ username: nonEmpty, passwordSecret: secretName })),
  ssh: z.optional(
    z.strictObject({
      privateKeySecret: secretName,
      hostKeys: z
        .array(
          z.string().check(
            z.regex(
              /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,2}( [^\n]*)?$/,
              {
                error:
                  "must be a host public key line such as 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 HOST)",
              },
            ),
          ),
          // A key not listed is refused: no trust on first use.
        )
        .check(z.minLength(1, { error: 'must pin at least one host key' })),
    }),
  ),
  installationId: z.optional(z.int().check(z.gte(1, { error: 'must be a positive integer' }))),
  trustedBranch: z.optional(branchName),
  sops: z.optional(
    z.strictObject({
      ageKeys: z.optional(z.array(secretName)),
      kmsKeys: z.optional(
        z.array(
          z.string().check(
            z.regex(KMS_KEY_PATTERN, {
              error:
                "must be a KMS key or alias ARN, or a key ARN prefix ending in 'key/*' (e.g. 'arn:aws:kms:eu-west-1:123456789012:key/*')",
            }),
          ),
        ),
      ),
    }),
  ),
});

/**
 * The fields both runtimes share, as a shape: a runtime's own schema spreads it next to its
 * own fields (`port` on Node, say), so the shared part is validated by the same code.
 */
export const SHARED_SETTINGS_SHAPE = {
  webhookSecrets: z.optional(z.array(nonEmpty)),
  repositories: z.optional(z.array(RepositorySettingSchema)),
  targets: z.optional(z.array(TargetBindingSchema)),
  secrets: z.optional(z.record(secretName, nonEmpty)),
  githubApiUrl: z.optional(httpUrl('https://api.github.com')),
  publicUrl: z.optional(httpUrl('https://plumbline.example.com')),
  history: z.optional(
    z.strictObject({
      maxAgeDays: z.optional(
        z
          .int({ error: 'must be a whole number of days (0: no age limit)' })
          .check(z.gte(0, { error: 'must be 0 or more' })),
      ),
      maxRunsPerApp: z.optional(
        z
          .int({ error: 'must be a whole number of runs (0: no count limit)' })
          .check(z.gte(0, { error: 'must be 0 or more' })),
      ),
    }),
  ),
  maxBodyBytes: z.optional(
    z.int({ error: 'must be a whole number of bytes' }).check(
      z.gte(1024, { error: 'must be at least 1024' }),
      z.lte(25 * 1024 * 1024, {
        error: 'must be at most 26214400 (GitHub caps payloads at 25 MB)',
      }),
    ),
  ),
};

/** The shared schema alone (what a runtime without extra fields validates). */
export const SharedSettingsSchema = z.strictObject(SHARED_SETTINGS_SHAPE);

/** The validated shared fields, as the schema outputs them. */
export type SharedSettingsInput = z.infer<typeof SharedSettingsSchema>;

/** A field path such as `['targets', 0, 'server']`. */
export type SettingPath = readonly (string | number)[];

/** Turns a field path into the setting's name as its runtime spells it. */
export type NameSetting = (path: SettingPath) => string;

/** `['targets', 0, 'server']` -> `targets[0].server`. */
export function settingPath(path: SettingPath): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** One refused setting. */
export interface SettingIssue {
  setting: string;
  message: string;
}

/** The runtime settings are invalid; the message lists each setting and what is wrong. */
export class SettingsError extends ConfigError {
  readonly issues: readonly SettingIssue[];
  constructor(issues: readonly SettingIssue[], hint: string) {
    const lines = issues.map((issue) => `${issue.setting}: ${issue.message}`);
    super(
      lines.length === 1
        ? (lines[0] as string)
        : `${lines[0]}\n${lines
            .slice(1)
            .map((line) => `  ${line}`)
            .join('\n')}`,
      { hint },
    );
    this.issues = issues;
  }
}

/** The hint every settings refusal carries. */
export const SETTINGS_HINT =
  'See docs/configuration.md, "Runtime settings"; the threat model behind them is docs/security.md.';

/** How many issues a refusal lists (a settings file of thousands of bad keys is still short). */
const MAX_ISSUES = 20;

/** The value at `path` of `raw`, own properties only; `undefined` when absent. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function messageOfIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
        .slice(0, 5)
        .map((k) => `'${k.slice(0, 40)}'`)
        .join(', ')}`;
    case 'invalid_type':
      return valueAt(raw, issue.path) === undefined
        ? `is required (${issue.expected})`
        : `must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      // Custom messages are written here and never quote the value.
      return issue.message;
  }
}

/**
 * Validates `raw` with `schema` (the shared shape plus a runtime's own fields). Throws a
 * `SettingsError` naming each refused setting with `nameOf`, never quoting a value.
 */
export function validateSettings<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  nameOf: NameSetting,
): z.infer<S> {
  const input = withRepositoryObjects(raw);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    setting: nameOf(issue.path.filter((s): s is string | number => typeof s !== 'symbol')),
    message: messageOfIssue(issue, input),
  }));
  const more = result.error.issues.length - issues.length;
  if (more > 0) issues.push({ setting: nameOf([]), message: `and ${more} more problems` });
  throw new SettingsError(issues, SETTINGS_HINT);
}

/** Bare `owner/name` entries of `repositories` become `{ fullName }` before validation. */
function withRepositoryObjects(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const repositories = (raw as { repositories?: unknown }).repositories;
  if (!Object.hasOwn(raw, 'repositories') || !Array.isArray(repositories)) return raw;
  return {
    ...raw,
    repositories: repositories.map((entry) =>
      typeof entry === 'string' ? { fullName: entry } : entry,
    ),
  };
}

/**
 * The typed shared settings from validated input: defaults filled in, checks across entries
 * made (unique names), every object rebuilt field by field with no prototype to speak of.
 */
export function runtimeSettingsOf(data: SharedSettingsInput, nameOf: NameSetting): RuntimeSettings {
  const issues: SettingIssue[] = [];
  const repositories = (data.repositories ?? []).map((entry, i) => ({
    fullName: repositoryName(entry, i, nameOf, issues),
    ...gitSourceOf(entry, i, nameOf, issues),
    ...(entry.installationId === undefined ? {} : { installationId: entry.installationId }),
    ...(entry.trustedBranch === undefined ? {} : { trustedBranch: entry.trustedBranch }),
    sops: { ageKeys: [...(entry.sops?.ageKeys ?? [])], kmsKeys: [...(entry.sops?.kmsKeys ?? [])] },
  }));
  const seenRepos = new Map<string, number>();
  repositories.forEach((repo, i) => {
    const key = repo.fullName.toLowerCase();
    if (seenRepos.has(key)) {
      issues.push({
        setting: nameOf(['repositories', i, 'fullName']),
        message: `repository '${repo.fullName}' is listed twice; keep one entry per repository`,
      });
    }
    seenRepos.set(key, i);
  });
  const targets = (data.targets ?? []).map(toTargetBinding);
  const seenTargets = new Set<string>();
  targets.forEach((target, i) => {
    if (seenTargets.has(target.name)) {
      issues.push({
        setting: nameOf(['targets', i, 'name']),
        message: `target '${target.name}' is bound twice; give each binding a unique name`,
      });
    }
    seenTargets.add(target.name);
  });
  if (issues.length > 0) throw new SettingsError(issues, SETTINGS_HINT);
  const secrets = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(data.secrets ?? {})) secrets[name] = value;
  return {
    webhookSecrets: [...(data.webhookSecrets ?? [])],
    repositories,
    targets,
    secrets,
    githubApiUrl: data.githubApiUrl ?? DEFAULT_RUNTIME_SETTINGS.githubApiUrl,
    maxBodyBytes: data.maxBodyBytes ?? DEFAULT_RUNTIME_SETTINGS.maxBodyBytes,
    history: {
      maxAgeDays: data.history?.maxAgeDays ?? DEFAULT_RETENTION.maxAgeDays,
      maxRunsPerApp: data.history?.maxRunsPerApp ?? DEFAULT_RETENTION.maxRunsPerApp,
    },
    ...(data.publicUrl ? { publicUrl: data.publicUrl.replace(/\/+$/, '') } : {}),
  };
}

type RepositoryInput = NonNullable<SharedSettingsInput['repositories']>[number];

/** The entry's name: as given, else suggested by its Git URL (an issue when neither). */
function repositoryName(
  entry: RepositoryInput,
  i: number,
  nameOf: NameSetting,
  issues: SettingIssue[],
): string {
  if (entry.fullName !== undefined) return entry.fullName;
  const suggested =
    entry.url === undefined ? undefined : suggestedRepoName(parseGitRemote(entry.url));
  if (suggested !== undefined) return suggested;
  issues.push({
    setting: nameOf(['repositories', i, 'fullName']),
    message:
      entry.url === undefined
        ? 'is required (owner/name of a GitHub repository, or a url for a Git source)'
        : "is required: the url does not suggest a name; name the repository as 'owner/name' (e.g. 'local/site')",
  });
  return '';
}

/** The Git source part of an entry (`url` and what only a Git source may set). */
function gitSourceOf(
  entry: RepositoryInput,
  i: number,
  nameOf: NameSetting,
  issues: SettingIssue[],
): { git?: GitSourceSetting } {
  if (entry.url === undefined) {
    for (const field of ['pollIntervalSeconds', 'httpAuth', 'ssh'] as const) {
      if (entry[field] !== undefined) {
        issues.push({
          setting: nameOf(['repositories', i, field]),
          message: 'is only for a Git source: add its url, or remove this field',
        });
      }
    }
    return {};
  }
  const remote = parseGitRemote(entry.url);
  if (entry.installationId !== undefined) {
    issues.push({
      setting: nameOf(['repositories', i, 'installationId']),
      message: 'is for GitHub repositories; a Git source (url) is read with Git, not a GitHub App',
    });
  }
  if (entry.httpAuth !== undefined && remote.kind !== 'https' && remote.kind !== 'http') {
    issues.push({
      setting: nameOf(['repositories', i, 'httpAuth']),
      message: `is for https remotes; this url is ${remote.kind === 'local' ? 'a local path' : 'reached over SSH (give the key in the SSH configuration of the user Plumbline runs as)'}`,
    });
  }
  if (entry.ssh !== undefined && remote.kind !== 'ssh') {
    issues.push({
      setting: nameOf(['repositories', i, 'ssh']),
      message: 'is for SSH remotes (ssh://... or user@host:path); this url is not one',
    });
  }
  return {
    git: {
      url: entry.url,
      pollIntervalSeconds: entry.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS,
      ...(entry.httpAuth ? { httpAuth: { ...entry.httpAuth } } : {}),
      ...(entry.ssh
        ? {
            ssh: {
              privateKeySecret: entry.ssh.privateKeySecret,
              hostKeys: [...entry.ssh.hostKeys],
            },
          }
        : {}),
    },
  };
}

/** A comma-separated list, trimmed, empty items dropped. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A list setting given as one string (an environment variable, a Worker var): a JSON array
 * when it starts with `[`, else comma-separated. Invalid JSON is refused naming `name`.
 */
export function listFromString(name: string, value: string): unknown[] {
  const text = value.trim();
  if (!text.startsWith('[')) return commaList(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SettingsError(
      [{ setting: name, message: 'starts with [ but is not valid JSON' }],
      SETTINGS_HINT,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new SettingsError([{ setting: name, message: 'must be a JSON array' }], SETTINGS_HINT);
  }
  return parsed;
}

/**
 * Secrets given as `PLUMBLINE_SECRET_<NAME>` variables, named `<name>` (lower case, '-' for
 * '_'): `PLUMBLINE_SECRET_DEV_TOKEN` is the secret `dev-token`. Null prototype.
 */
export function secretsFromVariables(variables: Record<string, unknown>): Record<string, string> {
  const secrets = Object.create(null) as Record<string, string>;
  for (const [variable, value] of Object.entries(variables)) {
    if (!variable.startsWith(SECRET_VARIABLE_PREFIX) || typeof value !== 'string' || value === '') {
      continue;
    }
    const name = variable.slice(SECRET_VARIABLE_PREFIX.length).toLowerCase().replaceAll('_', '-');
    if (name !== '') secrets[name] = value;
  }
  return secrets;
}
