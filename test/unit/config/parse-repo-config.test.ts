import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../../lib/config/load-repo-config.ts';
import { parseRepoConfig, RepoConfigError } from '../../../lib/config/parse-repo-config.ts';
import { ConfigError } from '../../../lib/errors.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/config/${name}`, import.meta.url), 'utf8');

const minimal = `targets:
  - name: staging
    server: https://k8s.example.com
    credentials:
      token:
        secret: staging-token
apps:
  - name: web
    path: apps/web
    target: staging
    namespace: web
`;

/** Parses `text` and returns the error it must raise. */
function errorOf(text: string, file?: string): RepoConfigError {
  try {
    parseRepoConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(RepoConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as RepoConfigError;
  }
  throw new Error('expected parseRepoConfig to throw');
}

describe('parseRepoConfig', () => {
  it('reads every field and credential kind of a full file', () => {
    const config = parseRepoConfig(fixture('full.yaml'));
    expect(config.allowForkPlans).toBe(false);
    expect(config.targets.map((t) => [t.name, t.credentials.kind])).toEqual([
      ['staging', 'tokenRequest'],
      ['production', 'eks'],
      ['lab', 'token'],
      ['local', 'kubeconfig'],
    ]);
    expect(config.targets[0]?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.targets[0]?.credentials).toEqual({
      kind: 'tokenRequest',
      serviceAccount: 'plumbline-deployer',
      namespace: 'plumbline-system',
      audience: 'https://staging.k8s.example.com',
      bootstrapSecret: 'staging-bootstrap',
      expirationSeconds: 900,
    });
    expect(config.targets[1]?.credentials).toEqual({
      kind: 'eks',
      cluster: 'production',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/plumbline',
    });
    expect(config.apps[1]).toEqual({
      name: 'web-production',
      path: 'apps/web/overlays/production',
      target: 'production',
      namespace: 'web',
      branch: 'release',
      prune: false,
      selfHeal: true,
    });
  });

  it('fills defaults: branch main, prune on, self-heal off, fork plans off', () => {
    const config = parseRepoConfig(minimal);
    expect(config.apps[0]).toEqual({
      name: 'web',
      path: 'apps/web',
      target: 'staging',
      namespace: 'web',
      branch: 'main',
      prune: true,
      selfHeal: false,
    });
    expect(config.allowForkPlans).toBe(false);
    expect(config.targets[0]).not.toHaveProperty('ca');
  });

  it('defaults a TokenRequest lifetime to the 600-second minimum', () => {
    const text = minimal.replace(
      'token:\n        secret: staging-token',
      'tokenRequest:\n        serviceAccount: deployer\n        namespace: plumbline\n        bootstrapSecret: boot',
    );
    expect(parseRepoConfig(text).targets[0]?.credentials).toEqual({
      kind: 'tokenRequest',
      serviceAccount: 'deployer',
      namespace: 'plumbline',
      bootstrapSecret: 'boot',
      expirationSeconds: 600,
    });
  });

  it('names an unknown target and lists the defined ones', () => {
    const text = `${minimal}  - name: api
    path: apps/api
    target: prod
    namespace: api
`;
    const error = errorOf(text);
    expect(error.message).toBe(
      "plumbline.yaml:14: apps[1].target: unknown target 'prod'; defined targets: staging",
    );
    expect(error.line).toBe(14);
    expect(error.file).toBe('plumbline.yaml');
    expect(error.stage).toBe('config');
  });

  it('refuses an unknown field and suggests the one meant', () => {
    const error = errorOf(minimal.replace('    target: staging', '    taget: staging'));
    expect(error.issues).toEqual([
      { field: 'apps[0].target', line: 8, message: 'is required (a string)' },
      {
        field: 'apps[0].taget',
        line: 10,
        message:
          "unknown field 'taget' (did you mean 'target'?); allowed fields here: name, path, target, namespace, branch, prune, selfHeal, helm",
      },
    ]);
    expect(error.message).toContain('plumbline.yaml: 2 problems');
  });

  it('refuses unknown fields at the top level and inside credentials', () => {
    const text = `${minimal}allowForkPlan: true\n`.replace(
      'secret: staging-token',
      'secret: staging-token\n        value: abc',
    );
    const error = errorOf(text);
    expect(error.issues.map((i) => [i.field, i.line])).toEqual([
      ['targets[0].credentials.token.value', 7],
      ['allowForkPlan', 13],
    ]);
    expect(error.issues[1]?.message).toContain("did you mean 'allowForkPlans'?");
    // The value of an unknown field is never echoed: it may be a secret pasted in the wrong place.
    expect(error.message).not.toContain('abc');
  });

  it('refuses insecureSkipTLSVerify: true and says to give the CA', () => {
    const error = errorOf(
      minimal.replace('    credentials:', '    insecureSkipTLSVerify: true\n    credentials:'),
    );
    expect(error.message).toBe(
      "plumbline.yaml:4: targets[0].insecureSkipTLSVerify: can only be false: Plumbline always verifies TLS; put the cluster's CA certificate in 'ca' instead",
    );
  });

  it('refuses a target without a credential source, or with two', () => {
    const none = errorOf(
      minimal.replace('      token:\n        secret: staging-token\n', '      {}\n'),
    );
    expect(none.issues[0]).toMatchObject({
      field: 'targets[0].credentials',
      message:
        'names no credential source; write exactly one of: kubeconfig, tokenRequest, eks, token',
    });
    const two = errorOf(
      minimal.replace(
        'secret: staging-token',
        'secret: staging-token\n      kubeconfig:\n        context: kind',
      ),
    );
    expect(two.issues[0]?.message).toBe(
      'names 2 credential sources (kubeconfig, token); keep exactly one',
    );
  });

  it('refuses duplicate app and target names', () => {
    const text = `${minimal}  - name: web
    path: apps/web2
    target: staging
    namespace: web2
`;
    expect(errorOf(text).message).toBe(
      "plumbline.yaml:12: apps[1].name: app 'web' is defined more than once; give each app a unique name",
    );
    const targets = minimal.replace(
      'apps:',
      '  - name: staging\n    server: https://b.example.com\n    credentials:\n      token:\n        secret: b\napps:',
    );
    expect(errorOf(targets).issues[0]).toMatchObject({ field: 'targets[1].name', line: 7 });
  });

  it('refuses names that are not DNS labels, with an example', () => {
    const error = errorOf(minimal.replace('name: web', 'name: Web_App'));
    expect(error.issues[0]).toMatchObject({ field: 'apps[0].name', line: 8 });
    expect(error.message).toContain('must be a DNS label');
    expect(error.message).toContain("e.g. 'web-api'");
  });

  it('refuses paths that leave the repository and absolute paths', () => {
    for (const path of ['../other', 'apps/../../x', '/etc']) {
      const error = errorOf(minimal.replace('path: apps/web', `path: ${path}`));
      expect(error.issues[0]).toMatchObject({ field: 'apps[0].path', line: 9 });
      expect(error.message).toContain('relative to the repository root');
    }
  });

  it('refuses a non-https server, a malformed CA and a short token lifetime', () => {
    expect(errorOf(minimal.replace('https://k8s.example.com', 'http://k8s')).message).toContain(
      'targets[0].server: must be an https:// URL',
    );
    expect(
      errorOf(minimal.replace('    credentials:', '    ca: not a cert\n    credentials:')).message,
    ).toContain('targets[0].ca: must be a PEM certificate');
    const short = minimal.replace(
      'token:\n        secret: staging-token',
      'tokenRequest:\n        serviceAccount: d\n        namespace: p\n        bootstrapSecret: b\n        expirationSeconds: 60',
    );
    expect(errorOf(short).message).toBe(
      'plumbline.yaml:9: targets[0].credentials.tokenRequest.expirationSeconds: must be at least 600 (the Kubernetes minimum)',
    );
  });

  it('names wrong types with what was found', () => {
    const error = errorOf(
      minimal.replace('    namespace: web', '    namespace: web\n    prune: "yes"'),
    );
    expect(error.message).toBe(
      "plumbline.yaml:12: apps[0].prune: must be true or false, not the string 'yes'",
    );
    expect(errorOf('targets: {}\napps: []\n').message).toBe(
      'plumbline.yaml:1: targets: must be a list, not a mapping',
    );
  });

  it('refuses a branch written as a ref', () => {
    expect(
      errorOf(minimal.replace('namespace: web', 'namespace: web\n    branch: refs/heads/main'))
        .message,
    ).toContain("apps[0].branch: must be a branch name without 'refs/heads/'");
  });

  it('reports missing top-level sections and empty files', () => {
    expect(errorOf('apps: []\n').message).toBe('plumbline.yaml:1: targets: is required (a list)');
    expect(errorOf('', 'config/plumbline.yaml').message).toBe(
      "config/plumbline.yaml: is empty; it needs at least 'targets' and 'apps' (see docs/configuration.md)",
    );
    expect(errorOf('targets: []\napps: []\n').message).toContain(
      'targets: must define at least one target',
    );
  });

  it('reports invalid YAML and duplicate keys with their line', () => {
    const broken = errorOf('targets:\n  - name: a\n   bad: [\n');
    expect(broken.issues[0]).toEqual({
      field: '',
      line: 3,
      message: 'not valid YAML: Sequence item without - indicator',
    });
    const dup = errorOf(`${minimal}apps: []\n`);
    expect(dup.issues[0]).toMatchObject({ line: 12 });
    expect(dup.message).toContain('not valid YAML');
  });

  it('bounds alias expansion', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(errorOf(bomb).message).toContain('plumbline.yaml: cannot be read');
  });
});

describe('loadRepoConfig', () => {
  it('reads plumbline.yaml from a tree, or says there is none', async () => {
    expect(
      (await loadRepoConfig(new MemoryFileTree({ 'plumbline.yaml': minimal })))?.apps,
    ).toHaveLength(1);
    expect(await loadRepoConfig(new MemoryFileTree({ 'README.md': '# hi' }))).toBeUndefined();
    expect(await loadRepoConfig(new MemoryFileTree({ 'plumbline.yaml/x': 'dir' }))).toBeUndefined();
    await expect(
      loadRepoConfig(new MemoryFileTree({ 'plumbline.yaml': 'targets: 1\napps: []\n' })),
    ).rejects.toThrow('plumbline.yaml:1: targets: must be a list, not number 1');
  });
});
