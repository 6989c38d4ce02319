import { describe, expect, it } from 'vitest';
import { bindingAllowsPath, parseHostBindings } from '../../../lib/config/host-binding.ts';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { bindingAllowsRepository } from '../../../lib/config/target-binding.ts';
import { ConfigError } from '../../../lib/errors.ts';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const ssh = {
  kind: 'ssh',
  name: 'web-1',
  host: 'web-1.example.com',
  hostKeys: [hostKey],
  user: 'plumbline',
  credentials: { certificate: { caSecret: 'ssh-ca' } },
  repositories: ['acme/web'],
  paths: ['/etc/nginx'],
};

const messageOf = (raw: unknown) => {
  try {
    parseHostBindings(raw, 'settings.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
};

describe('host bindings', () => {
  it('fills defaults: port 22, certificates valid for 300 seconds', () => {
    const [binding] = parseHostBindings([ssh], 'settings.yaml');
    expect(binding).toMatchObject({
      port: 22,
      credentials: { kind: 'certificate', caSecret: 'ssh-ca', ttlSeconds: 300 },
    });
  });

  it('names the binding field that is wrong', () => {
    expect(messageOf([{ ...ssh, hostKeys: [] }])).toBe(
      'settings.yaml: invalid host bindings: targets[0].hostKeys: must pin at least one host key',
    );
    expect(messageOf([{ ...ssh, host: '169.254.169.254' }])).toContain(
      'targets[0].host: is a link-local (cloud metadata) address; Plumbline refuses those',
    );
    expect(messageOf([{ ...ssh, credentials: {} }])).toContain(
      'name exactly one credential source: certificate (recommended) or privateKey',
    );
    expect(
      messageOf([
        {
          ...ssh,
          credentials: {
            certificate: { caSecret: 'a', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/x' },
          },
        },
      ]),
    ).toContain('name exactly one of caSecret and kmsKeyId');
    expect(
      messageOf([{ ...ssh, credentials: { certificate: { caSecret: 'a', ttlSeconds: 86400 } } }]),
    ).toContain('must be at most 3600');
    expect(messageOf([{ ...ssh, paths: ['/etc/../root'] }])).toContain('targets[0].paths[0]');
    expect(messageOf([ssh, ssh])).toBe(
      "settings.yaml: host binding 'web-1' is defined more than once",
    );
  });

  it('allows only its repositories and directories, segment by segment', () => {
    const [binding] = parseHostBindings([{ ...ssh, repositories: ['acme/web', 'tools/*'] }], 'x');
    if (!binding) throw new Error('no binding');
    expect(bindingAllowsRepository(binding, 'acme/web')).toBe(true);
    expect(bindingAllowsRepository(binding, 'tools/anything')).toBe(true);
    expect(bindingAllowsRepository(binding, 'acme/web2')).toBe(false);
    expect(bindingAllowsPath(binding, '/etc/nginx')).toBe(true);
    expect(bindingAllowsPath(binding, '/etc/nginx/conf.d')).toBe(true);
    expect(bindingAllowsPath(binding, '/etc/nginx-evil')).toBe(false);
    expect(bindingAllowsPath(binding, '/etc')).toBe(false);
  });
});

describe('files apps in plumbline.yaml', () => {
  const files = (extra = '') =>
    `apps:\n  - name: nginx\n    kind: files\n    path: nginx\n    target: web-1\n    destination: /etc/nginx/\n${extra}`;

  it('reads the fields with their defaults', () => {
    const config = parseRepoConfig(
      files(
        "    modes:\n      'secrets/*': '0600'\n    validate: nginx -t -c {staged}/nginx.conf\n    reload: sudo -n systemctl reload nginx\n",
      ),
    );
    expect(config.apps[0]).toEqual({
      kind: 'files',
      name: 'nginx',
      path: 'nginx',
      target: 'web-1',
      destination: '/etc/nginx',
      mode: 0o644,
      modes: [{ pattern: 'secrets/*', mode: 0o600 }],
      validate: 'nginx -t -c {staged}/nginx.conf',
      reload: 'sudo -n systemctl reload nginx',
      branch: 'main',
      prune: true,
      selfHeal: false,
      adopt: false,
    });
  });

  it('says what is wrong with a files app, with the fields of files apps', () => {
    const message = (text: string) => {
      try {
        parseRepoConfig(text);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message(files('    mode: 0644\n'))).toContain(
      'apps[0].mode: must be a string, not number 644',
    );
    expect(message(files('    mode: "0999"\n'))).toContain(
      "must be an octal file mode in quotes, e.g. '0644'",
    );
    expect(message(files().replace('/etc/nginx/', '/'))).toContain(
      'apps[0].destination: must be an absolute directory',
    );
    expect(message(files().replace('/etc/nginx/', 'etc/nginx'))).toContain('apps[0].destination');
    expect(message(files().replace('/etc/nginx/', '/etc/../root'))).toContain(
      'apps[0].destination',
    );
    expect(message(files('    namespace: web\n'))).toContain(
      "apps[0].namespace: unknown field 'namespace'; allowed fields here: kind, name, path, target, destination, mode, modes, validate, reload, branch, prune, selfHeal, adopt",
    );
    expect(message(files().replace('kind: files', 'kind: helm'))).toContain(
      "kind must be 'kubernetes' (the default) or 'files'",
    );
  });
});
