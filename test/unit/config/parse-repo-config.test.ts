import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MAX_REPO_CONFIG_BYTES,
  parseRepoConfig,
  RepoConfigError,
} from '../../../lib/config/parse-repo-config.ts';
import { ConfigError } from '../../../lib/errors.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/config/${name}`, import.meta.url), 'utf8');

const minimal = `apps:
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
  it('reads every field of a full file', () => {
    const config = parseRepoConfig(fixture('full.yaml'));
    expect(config.allowForkPlans).toBe(false);
    expect(config.apps).toEqual([
      {
        kind: 'kubernetes',
        name: 'web',
        path: 'apps/web/overlays/staging',
        target: 'staging',
        namespace: 'web',
        branch: 'main',
        prune: true,
        selfHeal: false,
        requireReviewedPlan: false,
        failOnConflict: false,
        pruneContents: false,
      },
      {
        kind: 'kubernetes',
        name: 'web-production',
        path: 'apps/web/overlays/production',
        target: 'production',
        namespace: 'web',
        branch: 'release',
        prune: false,
        selfHeal: true,
        requireReviewedPlan: false,
        failOnConflict: false,
        pruneContents: false,
      },
    ]);
  });

  it('fills defaults: the trusted branch, prune on, self-heal off, fork plans off', () => {
    const config = parseRepoConfig(minimal);
    expect(config.apps[0]).toEqual({
      kind: 'kubernetes',
      name: 'web',
      path: 'apps/web',
      target: 'staging',
      namespace: 'web',
      branch: 'main',
      prune: true,
      selfHeal: false,
      requireReviewedPlan: false,
      failOnConflict: false,
      pruneContents: false,
    });
    expect(config.allowForkPlans).toBe(false);
    // Apps that name no branch track the branch the configuration was trusted from.
    expect(parseRepoConfig(minimal, undefined, { defaultBranch: 'trunk' }).apps[0]?.branch).toBe(
      'trunk',
    );
  });

  it('refuses a targets section, pointing at the runtime settings', () => {
    const text = `targets:
  - name: staging
    server: https://attacker.example.com
    credentials:
      token:
        secret: staging-token
${minimal}`;
    const error = errorOf(text);
    expect(error.issues).toHaveLength(1);
    expect(error.message).toMatch(/^plumbline\.yaml:1: targets: is not read from the repository/);
    expect(error.message).toContain('runtime settings');
    expect(error.message).toContain('apps[].target');
    expect(error.line).toBe(1);
    // Also when other problems are reported.
    const both = errorOf(`${text}    prune: maybe\n`);
    expect(both.issues.map((i) => i.field)).toEqual(['targets', 'apps[0].prune']);
  });

  it('refuses an unknown field and suggests the one meant', () => {
    const error = errorOf(minimal.replace('    target: staging', '    taget: staging'));
    expect(error.issues).toEqual([
      { field: 'apps[0].target', line: 2, message: 'is required (a string)' },
      {
        field: 'apps[0].taget',
        line: 4,
        message:
          "unknown field 'taget' (did you mean 'target'?); allowed fields here: kind, name, path, target, namespace, branch, prune, selfHeal, requireReviewedPlan, failOnConflict, pruneContents, helm",
      },
    ]);
    expect(error.message).toContain('plumbline.yaml: 2 problems');
  });

  it('refuses unknown fields at the top level without echoing their values', () => {
    const error = errorOf(`${minimal}allowForkPlan: true\ntoken: abc-secret\n`);
    expect(error.issues.map((i) => [i.field, i.line])).toEqual([
      ['allowForkPlan', 6],
      ['token', 7],
    ]);
    expect(error.issues[0]?.message).toContain("did you mean 'allowForkPlans'?");
    // The value of an unknown field is never echoed: it may be a secret pasted in the wrong place.
    expect(error.message).not.toContain('abc-secret');
  });

  it('refuses duplicate app names', () => {
    const text = `${minimal}  - name: web
    path: apps/web2
    target: staging
    namespace: web2
`;
    expect(errorOf(text).message).toBe(
      "plumbline.yaml:6: apps[1].name: app 'web' is defined more than once; give each app a unique name",
    );
  });

  it('refuses names, targets and namespaces that are not DNS labels, with an example', () => {
    const error = errorOf(minimal.replace('name: web', 'name: Web_App'));
    expect(error.issues[0]).toMatchObject({ field: 'apps[0].name', line: 2 });
    expect(error.message).toContain('must be a DNS label');
    expect(error.message).toContain("e.g. 'web-api'");
    expect(
      errorOf(minimal.replace('target: staging', 'target: https://x')).issues[0],
    ).toMatchObject({
      field: 'apps[0].target',
    });
  });

  it('refuses paths that leave the repository and absolute paths', () => {
    for (const path of ['../other', 'apps/../../x', '/etc']) {
      const error = errorOf(minimal.replace('path: apps/web', `path: ${path}`));
      expect(error.issues[0]).toMatchObject({ field: 'apps[0].path', line: 3 });
      expect(error.message).toContain('relative to the repository root');
    }
  });

  it('names wrong types with what was found', () => {
    const error = errorOf(
      minimal.replace('    namespace: web', '    namespace: web\n    prune: "yes"'),
    );
    expect(error.message).toBe(
      "plumbline.yaml:6: apps[0].prune: must be true or false, not the string 'yes'",
    );
    expect(errorOf('apps: {}\n').message).toBe(
      'plumbline.yaml:1: apps: must be a list, not a mapping',
    );
  });

  it('refuses a branch written as a ref', () => {
    expect(
      errorOf(minimal.replace('namespace: web', 'namespace: web\n    branch: refs/heads/main'))
        .message,
    ).toContain("apps[0].branch: must be a branch name without 'refs/heads/'");
  });

  it('reports missing sections and empty files', () => {
    expect(errorOf('allowForkPlans: true\n').message).toBe(
      'plumbline.yaml:1: apps: is required (a list)',
    );
    expect(errorOf('', 'config/plumbline.yaml').message).toBe(
      "config/plumbline.yaml: is empty; it needs at least 'apps' (see docs/configuration.md)",
    );
    expect(parseRepoConfig('apps: []\n').apps).toEqual([]);
  });

  it('reports invalid YAML and duplicate keys with their line', () => {
    const broken = errorOf('apps:\n  - name: a\n   bad: [\n');
    expect(broken.issues[0]).toEqual({
      field: '',
      line: 3,
      message: 'not valid YAML: Sequence item without - indicator',
    });
    const dup = errorOf(`${minimal}apps: []\n`);
    expect(dup.issues[0]).toMatchObject({ line: 6 });
    expect(dup.message).toContain("not valid YAML: key 'apps' appears twice");
    const nested = errorOf(
      minimal.replace('    namespace: web', '    namespace: web\n    namespace: api'),
    );
    expect(nested.issues[0]).toMatchObject({ line: 6 });
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

  it('refuses a file larger than the bound before parsing it', () => {
    const huge = `${minimal}#${'x'.repeat(MAX_REPO_CONFIG_BYTES)}\n`;
    expect(errorOf(huge).message).toBe(
      `plumbline.yaml: is larger than ${MAX_REPO_CONFIG_BYTES} bytes, the most Plumbline reads; keep plumbline.yaml to apps and their settings`,
    );
  });
});
