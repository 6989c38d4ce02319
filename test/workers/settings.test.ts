/**
 * The Worker's settings, validated once from `env`: defaults, the forms of
 * PLUMBLINE_REPOSITORIES, and every refusal naming the variable without echoing a secret.
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
      repositories: [{ fullName: 'acme/deploy' }],
      configBranch: 'main',
      githubApiUrl: 'https://api.github.com',
      github: { kind: 'anonymous' },
      maxBodyBytes: 1024 * 1024,
      logLevel: 'info',
      ageIdentities: [],
      retryBaseSeconds: 30,
      deadLetterQueue: 'plumbline-jobs-dlq',
      hostBindings: [],
    });
  });

  it('read SSH host bindings from PLUMBLINE_HOSTS, refusing local ones and bad JSON', () => {
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
    const settings = settingsFromEnv({ PLUMBLINE_HOSTS: JSON.stringify([ssh]) });
    expect(settings.hostBindings).toMatchObject([{ name: 'web-1', port: 22 }]);
    expect(refusal({ PLUMBLINE_HOSTS: '[{' }).message).toBe('PLUMBLINE_HOSTS: not valid JSON');
    const local = { kind: 'local', name: 'me', repositories: ['acme/web'], paths: ['/srv'] };
    expect(refusal({ PLUMBLINE_HOSTS: JSON.stringify([local]) }).message).toBe(
      "PLUMBLINE_HOSTS: host binding 'me' is local; a Worker has no machine of its own",
    );
    expect(refusal({ PLUMBLINE_HOSTS: JSON.stringify([{ ...ssh, hostKeys: [] }]) }).message).toBe(
      'PLUMBLINE_HOSTS: invalid host bindings: hosts[0].hostKeys: must pin at least one host key',
    );
  });

  it('read repositories with GitHub App installations from JSON', () => {
    const settings = settingsFromEnv({
      PLUMBLINE_REPOSITORIES: '[{"fullName": "acme/deploy", "installationId": 42}, "acme/other"]',
      GITHUB_APP_ID: '7',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    });
    expect(settings.repositories).toEqual([
      { fullName: 'acme/deploy', installationId: 42 },
      { fullName: 'acme/other' },
    ]);
    expect(settings.github.kind).toBe('app');
  });

  it('refuse malformed repositories JSON, naming the variable', () => {
    expect(refusal({ PLUMBLINE_REPOSITORIES: '[{"fullName": 3}]' }).message).toMatch(
      /^PLUMBLINE_REPOSITORIES\[0\]: must be/,
    );
    expect(refusal({ PLUMBLINE_REPOSITORIES: '[oops' }).message).toMatch(
      /^PLUMBLINE_REPOSITORIES: starts with \[ but is not valid JSON/,
    );
  });

  it('refuse half a GitHub App without echoing the key', () => {
    const error = refusal({ GITHUB_APP_PRIVATE_KEY: 'very-secret-key-material' });
    expect(error.message).toMatch(/^GITHUB_APP_ID: missing/);
    expect(`${error.message} ${error.hint}`).not.toContain('very-secret-key-material');
  });

  it('refuse an Access service token without the hosts it is for', () => {
    const error = refusal({ CF_ACCESS_CLIENT_ID: 'id', CF_ACCESS_CLIENT_SECRET: 'access-secret' });
    expect(error.message).toMatch(/^CF_ACCESS_HOSTS: missing/);
    expect(`${error.message} ${error.hint}`).not.toContain('access-secret');
  });

  it('refuse half a pair of AWS credentials, an unknown log level and a bad number', () => {
    expect(refusal({ AWS_ACCESS_KEY_ID: 'AKIA' }).message).toMatch(
      /^AWS_SECRET_ACCESS_KEY: missing/,
    );
    expect(refusal({ PLUMBLINE_LOG_LEVEL: 'loud' }).message).toMatch(
      /^PLUMBLINE_LOG_LEVEL: must be one of/,
    );
    expect(refusal({ PLUMBLINE_MAX_BODY_BYTES: '1.5' }).message).toMatch(
      /^PLUMBLINE_MAX_BODY_BYTES: must be an integer/,
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
  });
});
