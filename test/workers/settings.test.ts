/**
 * The Worker's settings, validated once from `env` by the schema the Node runtime shares:
 * defaults, the forms of PLUMBLINE_REPOSITORIES, target bindings from PLUMBLINE_TARGETS, and
 * every refusal naming the variable without echoing a secret.
 */
import { describe, expect, it } from 'vitest';
import { envSecretStore } from '../../functions/cloudflare/env-secret-store.ts';
import { settingsFromEnv } from '../../functions/cloudflare/settings.ts';
import { ConfigError } from '../../lib/errors.ts';

function refusal(env: Record<string, unknown>): ConfigError {
  try {
    settingsFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('settingsFromEnv accepted the env');
}

describe('Worker settings', () => {
  it('start from safe defaults when nearly nothing is set', () => {
    const settings = settingsFromEnv({ JOBS: {}, PLUMBLINE_REPOSITORIES: 'acme/deploy' });
    expect(settings).toEqual({
      webhookSecrets: [],
      repositories: [{ fullName: 'acme/deploy', sops: { ageKeys: [], kmsKeys: [] } }],
      targets: [],
      secrets: {},
      githubApiUrl: 'https://api.github.com',
      github: { kind: 'anonymous' },
      maxBodyBytes: 1024 * 1024,
      logLevel: 'info',
      retryBaseSeconds: 30,
      deadLetterQueue: 'plumbline-jobs-dlq',
      history: { maxAgeDays: 90, maxRunsPerApp: 1000 },
    });
  });

  it('read SSH host bindings among PLUMBLINE_TARGETS, naming a wrong field', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const ssh = {
      kind: 'ssh',
      name: 'web-1',
      host: 'web-1.example.com',
      user: 'plumbline',
      hostKeys: [key],
      credentials: { certificate: { caSecret: 'ssh-ca' } },
      repositories: ['acme/web'],
      paths: ['/etc/nginx'],
    };
    const settings = settingsFromEnv({ PLUMBLINE_TARGETS: JSON.stringify([ssh]) });
    expect(settings.targets).toMatchObject([{ kind: 'ssh', name: 'web-1', port: 22 }]);
    expect(
      refusal({ PLUMBLINE_TARGETS: JSON.stringify([{ ...ssh, hostKeys: [] }]) }).message,
    ).toContain('PLUMBLINE_TARGETS[0].hostKeys: must pin at least one host key');
  });

  it('need both halves of Cloudflare Access, and a team domain that is one', () => {
    expect(refusal({ PLUMBLINE_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com' }).message).toMatch(
      /^PLUMBLINE_ACCESS_AUD: missing/,
    );
    expect(
      refusal({ PLUMBLINE_ACCESS_TEAM_DOMAIN: 'evil.example.com', PLUMBLINE_ACCESS_AUD: 'x' })
        .message,
    ).toMatch(/^PLUMBLINE_ACCESS_TEAM_DOMAIN: must be your team domain/);
    expect(
      settingsFromEnv({
        PLUMBLINE_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com',
        PLUMBLINE_ACCESS_AUD: 'aud',
      }).access,
    ).toEqual({ teamDomain: 'acme.cloudflareaccess.com', audience: 'aud' });
  });

  it('read repositories with GitHub App installations from JSON', () => {
    const settings = settingsFromEnv({
      PLUMBLINE_REPOSITORIES: '[{"fullName": "acme/deploy", "installationId": 42}, "acme/other"]',
      GITHUB_APP_ID: '7',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    });
    expect(settings.repositories).toEqual([
      { fullName: 'acme/deploy', installationId: 42, sops: { ageKeys: [], kmsKeys: [] } },
      { fullName: 'acme/other', sops: { ageKeys: [], kmsKeys: [] } },
    ]);
    expect(settings.github.kind).toBe('app');
  });

  it('refuse a Git source (a repository url), saying it runs on the Node runtime', () => {
    const error = refusal({
      JOBS: {},
      PLUMBLINE_REPOSITORIES: JSON.stringify([
        'acme/deploy',
        { fullName: 'team/site', url: 'https://git.example.com/team/site.git' },
      ]),
    });
    expect(error.message).toBe(
      'PLUMBLINE_REPOSITORIES[1].url: makes team/site a Git source, which only the Node runtime reads (plumbline serve): on Workers, serve GitHub repositories through their webhooks, or run Plumbline on Node next to the repository',
    );
  });

  it('refuse malformed repositories JSON, naming the variable', () => {
    expect(refusal({ PLUMBLINE_REPOSITORIES: '[{"fullName": 3}]' }).message).toMatch(
      /^PLUMBLINE_REPOSITORIES\[0\]\.fullName: must be/,
    );
    expect(
      refusal({
        PLUMBLINE_REPOSITORIES: '[{"fullName": "acme/x", "trustedBranch": "refs/heads/main"}]',
      }).message,
    ).toMatch(/^PLUMBLINE_REPOSITORIES\[0\]\.trustedBranch: must be a branch name/);
    expect(refusal({ PLUMBLINE_REPOSITORIES: '[oops' }).message).toMatch(
      /^PLUMBLINE_REPOSITORIES: starts with \[ but is not valid JSON/,
    );
  });

  it('refuse half a GitHub App without echoing the key', () => {
    const error = refusal({ GITHUB_APP_PRIVATE_KEY: 'very-secret-key-material' });
    expect(error.message).toMatch(/^GITHUB_APP_ID: missing/);
    expect(`${error.message} ${error.hint}`).not.toContain('very-secret-key-material');
  });

  it('read target bindings from PLUMBLINE_TARGETS, with their Access token', () => {
    const settings = settingsFromEnv({
      PLUMBLINE_TARGETS: JSON.stringify([
        {
          kind: 'kubernetes',
          name: 'staging',
          server: 'https://k8s.example.com',
          credentials: { token: { secret: 'staging-token' } },
          access: { clientId: 'id.access', secret: 'cf-access' },
          repositories: ['acme/*'],
          namespaces: ['web'],
        },
      ]),
      PLUMBLINE_SECRET_STAGING_TOKEN: 'cluster-token',
    });
    expect(settings.targets).toEqual([
      {
        kind: 'kubernetes',
        name: 'staging',
        server: 'https://k8s.example.com',
        credentials: { kind: 'token', secret: 'staging-token' },
        access: { clientId: 'id.access', secret: 'cf-access' },
        repositories: ['acme/*'],
        namespaces: ['web'],
        clusterResources: false,
        allowLinkLocal: false,
      },
    ]);
    expect(settings.secrets).toEqual({ 'staging-token': 'cluster-token' });
  });

  it('refuse a binding that could send a credential astray, naming the variable and not the value', () => {
    const error = refusal({
      PLUMBLINE_TARGETS: JSON.stringify([
        {
          kind: 'kubernetes',
          name: 'staging',
          server: 'https://user:s3cret-pass@169.254.169.254',
          credentials: { token: { secret: 'staging-token' } },
          repositories: ['*'],
          namespaces: ['*'],
        },
      ]),
    });
    expect(error.message).toMatch(
      /^PLUMBLINE_TARGETS\[0\]\.server: must not contain a user name or password/,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('s3cret-pass');
    expect(refusal({ PLUMBLINE_TARGETS: '{"kind": "kubernetes"}' }).message).toBe(
      'PLUMBLINE_TARGETS: must be a JSON array of target bindings',
    );
  });

  it('refuse variables whose meaning moved into the bindings and repository entries', () => {
    for (const [variable, moved] of [
      ['PLUMBLINE_CONFIG_BRANCH', 'trustedBranch'],
      ['SOPS_AGE_KEY', 'ageKeys'],
      ['CF_ACCESS_CLIENT_ID', '"access"'],
      ['CF_ACCESS_CLIENT_SECRET', '"access"'],
      ['CF_ACCESS_HOSTS', 'binding'],
    ] as const) {
      const error = refusal({ [variable]: 'AGE-SECRET-KEY-1VALUE' });
      expect(error.message).toMatch(new RegExp(`^${variable}: is no longer read`));
      expect(error.message).toContain(moved);
      expect(error.message).not.toContain('VALUE');
    }
  });

  it('refuse half a pair of AWS credentials, an unknown log level and a bad number', () => {
    expect(refusal({ AWS_ACCESS_KEY_ID: 'AKIA' }).message).toMatch(
      /^AWS_SECRET_ACCESS_KEY: missing/,
    );
    expect(refusal({ PLUMBLINE_LOG_LEVEL: 'loud' }).message).toMatch(
      /^PLUMBLINE_LOG_LEVEL: must be one of/,
    );
    expect(refusal({ PLUMBLINE_MAX_BODY_BYTES: '1.5' }).message).toMatch(
      /^PLUMBLINE_MAX_BODY_BYTES: must be a number/,
    );
  });

  it('give repositories only the secrets under PLUMBLINE_SECRET_', async () => {
    const secrets = envSecretStore({
      GITHUB_TOKEN: 'the-worker-token',
      PLUMBLINE_SECRET_STAGING_TOKEN: 'cluster-token',
    });
    expect(await secrets.get('staging-token')).toBe('cluster-token');
    expect(await secrets.get('staging_token')).toBe('cluster-token');
    expect(await secrets.get('GITHUB_TOKEN')).toBeUndefined();
    expect(await secrets.get('missing')).toBeUndefined();
    // A name never reaches a prototype.
    expect(await secrets.get('constructor')).toBeUndefined();
  });
});
