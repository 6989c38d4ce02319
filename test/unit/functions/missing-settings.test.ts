import { describe, expect, it } from 'vitest';
import { missingSettings, settingsSource } from '../../../functions/node/missing-settings.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';

describe('missing server settings', () => {
  it('names every setting a bare server lacks, with what goes wrong without it', () => {
    expect(missingSettings(DEFAULT_SETTINGS).map((m) => m.variable)).toEqual([
      'PLUMBLINE_WEBHOOK_SECRETS',
      'PLUMBLINE_REPOSITORIES',
      'PLUMBLINE_TARGETS (or targets in the settings file)',
      'GITHUB_TOKEN (or PLUMBLINE_GITHUB_APP_ID and its private key)',
    ]);
    expect(missingSettings(DEFAULT_SETTINGS)[0]?.consequence).toBe(
      'every webhook delivery is refused',
    );
  });

  it('lacks nothing once secrets, repositories, targets and a token or an App are set', () => {
    const base = {
      ...DEFAULT_SETTINGS,
      webhookSecrets: ['s'],
      repositories: [{ fullName: 'acme/deploy' }],
      targets: [
        {
          kind: 'kubernetes' as const,
          name: 'prod',
          server: 'https://k8s.example.com',
          credentials: { kind: 'token' as const, secret: 'prod-token' },
          repositories: ['acme/deploy'],
          namespaces: ['web'],
          clusterResources: false,
          allowLinkLocal: false,
        },
      ],
    };
    expect(missingSettings({ ...base, githubToken: 't' })).toEqual([]);
    expect(missingSettings({ ...base, githubApp: { appId: '1', privateKey: 'k' } })).toEqual([]);
    expect(missingSettings({ ...base }).map((m) => m.variable)).toEqual([
      'GITHUB_TOKEN (or PLUMBLINE_GITHUB_APP_ID and its private key)',
    ]);
  });

  it('says where the settings were read from', () => {
    expect(settingsSource({})).toBe('the environment only (no settings file)');
    expect(settingsSource({ envFile: '/etc/plumbline/plumbline.env' })).toBe(
      'the environment file /etc/plumbline/plumbline.env',
    );
    expect(settingsSource({ envFile: '/e.env', configFile: '/c.yaml' })).toBe(
      'the environment file /e.env and the settings file /c.yaml',
    );
  });
});
