import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, secretEnvName } from '../../../functions/node/settings.ts';
import { ConfigError } from '../../../lib/errors.ts';

function settingsFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'plumbline-settings-')), 'settings.yaml');
  writeFileSync(file, text);
  return file;
}

describe('runtime settings', () => {
  it('uses the embedded defaults when given nothing', () => {
    expect(loadSettings({ env: {}, flags: {} })).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      maxBodyBytes: 1048576,
    });
  });

  it('layers file < environment < flags', () => {
    const file = settingsFile(
      'port: 9000\nhost: 0.0.0.0\nrepositories: [acme/from-file]\nwebhookSecrets: [file-secret]\nmaxBodyBytes: 2048\n',
    );
    expect(loadSettings({ file, env: {}, flags: {} })).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      repositories: ['acme/from-file'],
      webhookSecrets: ['file-secret'],
      maxBodyBytes: 2048,
    });
    const settings = loadSettings({
      file,
      env: {
        PORT: '9100',
        PLUMBLINE_WEBHOOK_SECRETS: ' new , old ,',
        PLUMBLINE_REPOSITORIES: 'acme/a,acme/b',
        GITHUB_TOKEN: 'ghp_x',
        PLUMBLINE_GITHUB_API_URL: 'http://127.0.0.1:1234',
      },
      flags: { port: 9200 },
    });
    expect(settings).toEqual({
      port: 9200,
      host: '0.0.0.0',
      webhookSecrets: ['new', 'old'],
      repositories: ['acme/a', 'acme/b'],
      githubToken: 'ghp_x',
      githubApiUrl: 'http://127.0.0.1:1234',
      maxBodyBytes: 2048,
      secrets: {},
      hosts: [],
    });
  });

  it('reads host bindings from the settings file, naming a wrong field', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const binding = `hosts:\n  - name: web-1\n    kind: ssh\n    host: web-1.example.com\n    user: plumbline\n    hostKeys: ['${key}']\n    credentials: { certificate: { caSecret: ssh-ca } }\n    repositories: [acme/web]\n    paths: [/etc/nginx]\n`;
    const settings = loadSettings({ file: settingsFile(binding), env: {}, flags: {} });
    expect(settings.hosts).toEqual([
      {
        kind: 'ssh',
        name: 'web-1',
        host: 'web-1.example.com',
        port: 22,
        user: 'plumbline',
        hostKeys: [key],
        credentials: { certificate: { caSecret: 'ssh-ca', ttlSeconds: 300 } },
        repositories: ['acme/web'],
        paths: ['/etc/nginx'],
      },
    ]);
    const file = settingsFile(
      binding.replace('port', 'x').replace('user: plumbline', 'user: Root!'),
    );
    expect(() => loadSettings({ file, env: {}, flags: {} })).toThrow(
      `${file}: invalid host bindings: hosts[0].user: must be a Unix user name`,
    );
  });

  it('holds named secrets from the file and PLUMBLINE_SECRET_* variables, the environment winning', () => {
    const file = settingsFile('secrets:\n  staging-token: from-file\n  lab_token: lab-from-file\n');
    const settings = loadSettings({
      file,
      env: {
        PLUMBLINE_SECRET_STAGING_TOKEN: 'from-env',
        PLUMBLINE_SECRET_PROD_BOOTSTRAP: 'bootstrap-value',
        PLUMBLINE_SECRET_EMPTY: '',
      },
      flags: {},
    });
    expect(settings.secrets).toEqual({
      'staging-token': 'from-env',
      lab_token: 'lab-from-file',
      'prod-bootstrap': 'bootstrap-value',
    });
    expect(secretEnvName('staging-token')).toBe('PLUMBLINE_SECRET_STAGING_TOKEN');
  });

  it('refuses unknown fields in the settings file, naming the file', () => {
    const file = settingsFile('prot: 9000\n');
    expect(() => loadSettings({ file, env: {}, flags: {} })).toThrow(ConfigError);
    expect(() => loadSettings({ file, env: {}, flags: {} })).toThrow(`${file}: invalid settings`);
  });

  it('refuses a missing settings file and a bad PORT', () => {
    expect(() => loadSettings({ file: '/nonexistent/settings.yaml', env: {}, flags: {} })).toThrow(
      '/nonexistent/settings.yaml: cannot read the settings file',
    );
    expect(() => loadSettings({ env: { PORT: 'http' }, flags: {} })).toThrow(
      "PORT: 'http' is not a port number",
    );
  });

  it('reads the sweep interval and refuses one that is not a number of seconds', () => {
    expect(loadSettings({ env: { PLUMBLINE_SWEEP_INTERVAL: '300' }, flags: {} })).toMatchObject({
      sweepIntervalSeconds: 300,
    });
    expect(() => loadSettings({ env: { PLUMBLINE_SWEEP_INTERVAL: '5m' }, flags: {} })).toThrow(
      "PLUMBLINE_SWEEP_INTERVAL: '5m' is not a number of seconds",
    );
  });

  it('takes a GitHub App from its id and key (inline or from a file), never half of one', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n';
    const file = join(mkdtempSync(join(tmpdir(), 'plumbline-app-')), 'app.pem');
    writeFileSync(file, key);
    expect(
      loadSettings({
        env: { PLUMBLINE_GITHUB_APP_ID: '42', PLUMBLINE_GITHUB_APP_PRIVATE_KEY_FILE: file },
        flags: {},
      }).githubApp,
    ).toEqual({ appId: '42', privateKey: key });
    const missingKey = () => loadSettings({ env: { PLUMBLINE_GITHUB_APP_ID: '42' }, flags: {} });
    expect(missingKey).toThrow(ConfigError);
    expect(missingKey).toThrow('PLUMBLINE_GITHUB_APP_ID is set but the App has no private key');
    let message = '';
    try {
      loadSettings({ env: { PLUMBLINE_GITHUB_APP_PRIVATE_KEY: key }, flags: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('a GitHub App private key is set but PLUMBLINE_GITHUB_APP_ID is not');
    expect(message).not.toContain('MIIB');
  });
});
