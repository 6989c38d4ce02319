import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, secretEnvName } from '../../../functions/node/settings.ts';
import { ConfigError } from '../../../lib/errors.ts';

const CA = readFileSync(new URL('../../fixtures/config/ca.pem', import.meta.url), 'utf8');

/** A binding as the settings file writes it, with `overrides` applied. */
function binding(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'kubernetes',
    name: 'staging',
    server: 'https://k8s.example.com:6443',
    ca: CA,
    credentials: { token: { secret: 'staging-token' } },
    repositories: ['acme/deploy'],
    namespaces: ['web', 'team-*'],
    ...overrides,
  };
}

/** The refusal `loadSettings` raises for these sources. */
function refusal(sources: Parameters<typeof loadSettings>[0]): ConfigError {
  try {
    loadSettings(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadSettings accepted the settings');
}

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
      repositories: [{ fullName: 'acme/from-file', sops: { ageKeys: [], kmsKeys: [] } }],
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
        PLUMBLINE_DATA_DIR: '/var/lib/plumbline',
        PLUMBLINE_HISTORY_MAX_AGE_DAYS: '30',
      },
      flags: { port: 9200 },
    });
    expect(settings).toEqual({
      port: 9200,
      host: '0.0.0.0',
      dataDir: '/var/lib/plumbline',
      history: { maxAgeDays: 30, maxRunsPerApp: 1000 },
      webhookSecrets: ['new', 'old'],
      repositories: [
        { fullName: 'acme/a', sops: { ageKeys: [], kmsKeys: [] } },
        { fullName: 'acme/b', sops: { ageKeys: [], kmsKeys: [] } },
      ],
      targets: [],
      githubToken: 'ghp_x',
      githubApiUrl: 'http://127.0.0.1:1234',
      maxBodyBytes: 2048,
      secrets: {},
    });
  });

  it('reads host bindings (ssh, local) among the targets, naming a wrong field', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const binding = `targets:\n  - name: web-1\n    kind: ssh\n    host: web-1.example.com\n    user: plumbline\n    hostKeys: ['${key}']\n    credentials: { certificate: { caSecret: ssh-ca } }\n    repositories: [acme/web]\n    paths: [/etc/nginx]\n  - name: here\n    kind: local\n    repositories: [acme/web]\n    paths: [/srv/app]\n`;
    const settings = loadSettings({ file: settingsFile(binding), env: {}, flags: {} });
    expect(settings.targets).toEqual([
      {
        kind: 'ssh',
        name: 'web-1',
        host: 'web-1.example.com',
        port: 22,
        user: 'plumbline',
        hostKeys: [key],
        credentials: { kind: 'certificate', caSecret: 'ssh-ca', ttlSeconds: 300 },
        repositories: ['acme/web'],
        paths: ['/etc/nginx'],
      },
      { kind: 'local', name: 'here', repositories: ['acme/web'], paths: ['/srv/app'] },
    ]);
    const file = settingsFile(binding.replace('user: plumbline', 'user: Root!'));
    expect(() => loadSettings({ file, env: {}, flags: {} })).toThrow(
      `${file}: targets[0].user: must be a Unix user name`,
    );
  });

  it('reads history retention, refusing what is not a number of days or runs', () => {
    const file = settingsFile('history:\n  maxAgeDays: 7\n  maxRunsPerApp: 0\n');
    expect(loadSettings({ file, env: {}, flags: {} }).history).toEqual({
      maxAgeDays: 7,
      maxRunsPerApp: 0,
    });
    expect(() =>
      loadSettings({ file: settingsFile('history:\n  maxAgeDays: -1\n'), env: {}, flags: {} }),
    ).toThrow(/history\.maxAgeDays: must be 0 or more/);
    expect(() =>
      loadSettings({ file, env: { PLUMBLINE_HISTORY_MAX_RUNS_PER_APP: 'many' }, flags: {} }),
    ).toThrow(/^PLUMBLINE_HISTORY_MAX_RUNS_PER_APP: must be a number/);
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
    expect(() => loadSettings({ file, env: {}, flags: {} })).toThrow(
      `${file}: (top level): unknown field 'prot'`,
    );
  });

  it('refuses a missing settings file and a bad PORT', () => {
    expect(() => loadSettings({ file: '/nonexistent/settings.yaml', env: {}, flags: {} })).toThrow(
      '/nonexistent/settings.yaml: cannot read the settings file',
    );
    expect(() => loadSettings({ env: { PORT: 'http' }, flags: {} })).toThrow(
      'PORT: must be a number',
    );
  });

  it('reads the sweep interval and refuses one that is not a number of seconds', () => {
    expect(loadSettings({ env: { PLUMBLINE_SWEEP_INTERVAL: '300' }, flags: {} })).toMatchObject({
      sweepIntervalSeconds: 300,
    });
    expect(() => loadSettings({ env: { PLUMBLINE_SWEEP_INTERVAL: '5m' }, flags: {} })).toThrow(
      'PLUMBLINE_SWEEP_INTERVAL: must be a number',
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

  it('reads target bindings and repository entries from the file, and PLUMBLINE_TARGETS over them', () => {
    const file = settingsFile(
      JSON.stringify({
        repositories: [
          {
            fullName: 'acme/deploy',
            trustedBranch: 'production',
            installationId: 7,
            sops: { ageKeys: ['acme-age'], kmsKeys: ['arn:aws:kms:eu-west-1:123456789012:key/*'] },
          },
        ],
        targets: [binding({ access: { clientId: 'id.access', secret: 'cf-secret' } })],
      }),
    );
    const settings = loadSettings({ file, env: {}, flags: {} });
    expect(settings.repositories).toEqual([
      {
        fullName: 'acme/deploy',
        installationId: 7,
        trustedBranch: 'production',
        sops: { ageKeys: ['acme-age'], kmsKeys: ['arn:aws:kms:eu-west-1:123456789012:key/*'] },
      },
    ]);
    expect(settings.targets).toEqual([
      {
        kind: 'kubernetes',
        name: 'staging',
        server: 'https://k8s.example.com:6443',
        ca: CA,
        credentials: { kind: 'token', secret: 'staging-token' },
        access: { clientId: 'id.access', secret: 'cf-secret' },
        repositories: ['acme/deploy'],
        namespaces: ['web', 'team-*'],
        clusterResources: false,
        allowLinkLocal: false,
      },
    ]);
    const fromEnv = loadSettings({
      file,
      env: { PLUMBLINE_TARGETS: JSON.stringify([binding({ name: 'lab', ca: undefined })]) },
      flags: {},
    });
    expect(fromEnv.targets.map((t) => t.name)).toEqual(['lab']);
  });

  it('refuses bindings that could send a credential astray, naming the setting and never the value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { server: 'https://admin:hunter2-password@k8s.example.com' },
        'targets[0].server: must not contain a user name or password',
      ],
      [
        { server: 'https://169.254.169.254' },
        'targets[0].server: names the link-local or cloud metadata address 169.254.169.254',
      ],
      [{ server: 'https://[fd00:ec2::254]' }, 'targets[0].server: names the link-local'],
      [{ server: 'https://metadata.google.internal' }, 'targets[0].server: names the link-local'],
      [{ server: 'http://k8s.example.com' }, 'targets[0].server: must be an https:// URL'],
      [
        { ca: CA.replace('-----END', 'junk-in-between-secret\n-----END') },
        'targets[0].ca: has a certificate block whose body is not base64',
      ],
      [{ ca: 'not a certificate' }, 'targets[0].ca: has text outside the certificate blocks'],
      [{ repositories: [] }, 'targets[0].repositories: must list at least one repository'],
      [{ namespaces: ['Kube_System'] }, 'targets[0].namespaces[0]: must be a namespace name'],
      [
        { credentials: { token: { secret: 'a' }, eks: { cluster: 'c', region: 'eu-west-1' } } },
        'targets[0].credentials: must name exactly one credential source',
      ],
      [{ kind: 'ftp' }, "targets[0].kind: must be 'kubernetes', 'ssh' or 'local'"],
    ];
    for (const [overrides, message] of cases) {
      const file = settingsFile(JSON.stringify({ targets: [binding(overrides)] }));
      const error = refusal({ file, env: {}, flags: {} });
      expect(error.message).toContain(`${file}: ${message}`);
      expect(error.message).not.toContain('hunter2-password');
      expect(error.message).not.toContain('junk-in-between-secret');
    }
    // The operator may allow a metadata address explicitly, for one binding.
    const allowed = settingsFile(
      JSON.stringify({
        targets: [binding({ server: 'https://169.254.10.1', allowLinkLocal: true })],
      }),
    );
    const target = loadSettings({ file: allowed, env: {}, flags: {} }).targets[0];
    expect(target?.kind === 'kubernetes' && target.allowLinkLocal).toBe(true);
    // Errors from PLUMBLINE_TARGETS name the variable.
    expect(
      refusal({
        env: { PLUMBLINE_TARGETS: JSON.stringify([binding({ server: 'https://u:p@x.example' })]) },
        flags: {},
      }).message,
    ).toMatch(/^PLUMBLINE_TARGETS\[0\]\.server: must not contain a user name or password/);
    expect(refusal({ env: { PLUMBLINE_TARGETS: 'staging' }, flags: {} }).message).toBe(
      'PLUMBLINE_TARGETS: must be a JSON array of target bindings',
    );
  });

  it('refuses two bindings of one name and a repository listed twice', () => {
    const file = settingsFile(
      JSON.stringify({
        repositories: ['acme/deploy', 'ACME/deploy'],
        targets: [binding(), binding()],
      }),
    );
    const error = refusal({ file, env: {}, flags: {} });
    expect(error.message).toContain(
      `${file}: repositories[1].fullName: repository 'ACME/deploy' is listed twice`,
    );
    expect(error.message).toContain(`${file}: targets[1].name: target 'staging' is bound twice`);
  });

  it('refuses a CA that node:crypto cannot parse, even when its outline is right', () => {
    // The signature BIT STRING claims 0x47 unused bits: right in outline, not a certificate.
    const der = Buffer.from(CA.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const bitString = der.lastIndexOf(0x03, der.length - 70);
    der[bitString + 2] = 0x47;
    const broken = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const file = settingsFile(JSON.stringify({ targets: [binding({ ca: broken })] }));
    expect(refusal({ file, env: {}, flags: {} }).message).toBe(
      `${file}: targets[0].ca: holds a certificate that does not parse as X.509; paste the CA certificate exactly as PEM`,
    );
  });

  it('refuses global SOPS age keys: keys are given per repository', () => {
    const error = refusal({ env: { SOPS_AGE_KEY: 'AGE-SECRET-KEY-1SECRETVALUE' }, flags: {} });
    expect(error.message).toMatch(/^SOPS_AGE_KEY: is not used by a server runtime/);
    expect(error.message).toContain('repositories[].sops.ageKeys');
    expect(error.message).not.toContain('SECRETVALUE');
  });

  it('refuses a __proto__ key in the settings file as an unknown field, leaving prototypes alone', () => {
    const file = settingsFile(
      '__proto__:\n  polluted: true\nrepositories: [acme/deploy]\nsecrets:\n  constructor: x\n',
    );
    expect(refusal({ file, env: {}, flags: {} }).message).toContain("unknown field '__proto__'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const secrets = loadSettings({
      file: settingsFile('secrets:\n  constructor: x\n'),
      env: {},
      flags: {},
    }).secrets;
    expect(Object.getPrototypeOf(secrets)).toBe(null);
    expect(secrets.constructor).toBe('x');
  });
});
