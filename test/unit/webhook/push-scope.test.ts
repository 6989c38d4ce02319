import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppConfig, KubernetesAppConfig } from '../../../lib/config/repo-config.ts';
import { borrowedFiles } from '../../../lib/flows/affected-apps.ts';
import { isWithin } from '../../../lib/render/loader.ts';
import {
  MAX_LISTED_PATHS,
  MAX_PUSH_COMMITS,
  type PushFacts,
  pushScope,
  selectApps,
} from '../../../lib/webhook/push-scope.ts';

const BEFORE = 'a'.repeat(40);
const AFTER = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

function app(name: string, path: string): KubernetesAppConfig {
  return {
    kind: 'kubernetes',
    name,
    path,
    target: 'staging',
    namespace: name,
    branch: 'main',
    prune: false,
    selfHeal: false,
    requireReviewedPlan: false,
    failOnConflict: false,
    pruneContents: false,
  };
}

const commit = (files: { added?: string[]; modified?: string[]; removed?: string[] }) => ({
  id: 'c'.repeat(40),
  message: 'change',
  added: files.added ?? [],
  modified: files.modified ?? [],
  removed: files.removed ?? [],
});

const push = (commits: unknown, extra: Partial<PushFacts> = {}): PushFacts => ({
  before: BEFORE,
  after: AFTER,
  created: false,
  forced: false,
  commits,
  ...extra,
});

const names = (apps: readonly AppConfig[]) => apps.map((a) => a.name);

const APPS = [app('web', 'apps/web'), app('api', 'apps/api'), app('web-eu', 'apps/web')];

/** Path segments from a small alphabet, so generated files often fall under generated apps. */
const segment = fc.constantFrom('apps', 'web', 'api', 'base', 'x', 'a.yaml', 'k');
const dir = fc.array(segment, { minLength: 0, maxLength: 3 }).map((s) => s.join('/'));
const file = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const apps = fc
  .uniqueArray(dir, { minLength: 1, maxLength: 6 })
  .map((paths) => paths.map((path, i) => app(`app-${i}`, path)));

describe('pushScope: what a push payload lists', () => {
  it('lists every added, modified and removed file of every commit', () => {
    const scope = pushScope(
      push([
        commit({ added: ['apps/web/a.yaml'], removed: ['apps/old/b.yaml'] }),
        commit({ modified: ['apps/api/c.yaml', 'apps/web/a.yaml'] }),
      ]),
    );
    expect(scope).toEqual({
      kind: 'listed',
      paths: new Set(['apps/web/a.yaml', 'apps/old/b.yaml', 'apps/api/c.yaml']),
    });
  });

  it.each([
    ['a new branch (zero before)', push([commit({ added: ['apps/web/a'] })], { before: ZERO })],
    ['a new branch (created)', push([commit({ added: ['apps/web/a'] })], { created: true })],
    ['a force push', push([commit({ added: ['apps/web/a'] })], { forced: true })],
    ['no commits field (GitHub Actions payloads)', push(undefined)],
    ['commits: null', push(null)],
    ['commits not an array', push({ 0: commit({ added: ['apps/web/a'] }) })],
    ['a commit without its lists', push([{ id: 'x', added: ['apps/web/a'] }])],
    ['a list holding a number', push([commit({ added: [7 as unknown as string] })])],
    ['an empty commit', push([commit({ added: ['apps/web/a'] }), commit({})])],
    ['no commit although the head moved', push([])],
    ['an absolute path', push([commit({ modified: ['/apps/web/a'] })])],
    ['a path with ..', push([commit({ modified: ['apps/web/../../etc/x'] })])],
    ['a path with .', push([commit({ modified: ['apps/./web/a'] })])],
    ['a path with an empty segment', push([commit({ modified: ['apps//web/a'] })])],
    ['an empty path', push([commit({ modified: [''] })])],
    ['a path with NUL', push([commit({ modified: ['apps/web/a\0'] })])],
    ['an overlong path', push([commit({ modified: [`apps/web/${'x'.repeat(5000)}`] })])],
    [
      'more files than are read',
      push(
        Array.from({ length: 3 }, (_, c) =>
          commit({ added: Array.from({ length: MAX_LISTED_PATHS / 2 }, (_, i) => `f/${c}/${i}`) }),
        ),
      ),
    ],
  ])('cannot list %s: every app is affected', (_, facts) => {
    const scope = pushScope(facts);
    expect(scope.kind).toBe('unlisted');
    expect(selectApps(APPS, scope)).toMatchObject({ affected: APPS, untouched: [] });
  });

  it('says why a listing is unusable', () => {
    expect(pushScope(push([], { forced: true }))).toEqual({
      kind: 'unlisted',
      reason: 'force push: history was rewritten',
    });
    expect(pushScope(push(undefined))).toEqual({
      kind: 'unlisted',
      reason: 'the delivery lists no commits',
    });
    // GitHub Actions' push event: commits without added/modified/removed.
    expect(pushScope(push([{ id: 'c'.repeat(40), message: 'change' }]))).toEqual({
      kind: 'unlisted',
      reason: 'the commits carry no file lists (as in GitHub Actions)',
    });
  });

  it('a head that did not move, with no commits, changed nothing', () => {
    const scope = pushScope(push([], { after: BEFORE }));
    expect(scope).toEqual({ kind: 'listed', paths: new Set() });
    expect(selectApps(APPS, scope)).toMatchObject({ affected: [], untouched: APPS });
  });

  it('property: a listing at (or past) GitHub’s cap of 2,048 commits selects every app', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), apps, (extra, generated) => {
        const commits = Array.from({ length: MAX_PUSH_COMMITS + extra }, (_, i) =>
          commit({ modified: [`${generated[0]?.path || 'x'}/f-${i}`] }),
        );
        const scope = pushScope(push(commits));
        expect(scope).toMatchObject({ kind: 'unlisted' });
        expect(names(selectApps(generated, scope).affected)).toEqual(names(generated));
      }),
      { numRuns: 10 },
    );
  });

  it('property: hostile lists never throw and never select fewer apps than their valid paths reach', () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3 }),
        fc.array(fc.oneof(file, fc.string({ maxLength: 12 })), { maxLength: 8 }),
        (junk, paths) => {
          expect(() => pushScope(push(junk))).not.toThrow();
          const scope = pushScope(push([commit({ modified: paths })]));
          const selected = names(selectApps(APPS, scope).affected);
          for (const path of paths) {
            for (const a of APPS) if (isWithin(path, a.path)) expect(selected).toContain(a.name);
          }
        },
      ),
    );
  });
});

describe('selectApps: which apps a listed push can affect', () => {
  it('a file under an app’s path selects that app, and every app sharing the path', () => {
    const scope = pushScope(push([commit({ modified: ['apps/web/deployment.yaml'] })]));
    const selection = selectApps(APPS, scope);
    expect(names(selection.affected)).toEqual(['web', 'web-eu']);
    expect(names(selection.untouched)).toEqual(['api']);
    expect(selection.reason).toBe('1 changed file under the paths of 2 apps');
  });

  it('nested paths: a file deep in a child app reaches the parent app too', () => {
    const nested = [app('all', 'envs'), app('prod', 'envs/prod'), app('dev', 'envs/dev')];
    const scope = pushScope(push([commit({ added: ['envs/prod/patch.yaml'] })]));
    expect(names(selectApps(nested, scope).affected)).toEqual(['all', 'prod']);
  });

  it('a path prefix is not a parent: apps/web2 is not under apps/web', () => {
    const scope = pushScope(push([commit({ added: ['apps/web2/a.yaml'] })]));
    const selection = selectApps([...APPS, app('web2', 'apps/web2')], scope);
    expect(names(selection.affected)).toEqual(['web2']);
  });

  it('an app at the repository root is reached by every file', () => {
    const rooted = [app('root', ''), app('api', 'apps/api')];
    const scope = pushScope(push([commit({ modified: ['apps/api/a.yaml'] })]));
    expect(names(selectApps(rooted, scope).affected)).toEqual(['root', 'api']);
  });

  it.each([
    ['plumbline.yaml'],
    ['plumbline.lock.yaml'],
    ['apps/web/plumbline.lock.yaml'],
    ['bases/common/kustomization.yaml'],
    ['README.md'],
    ['apps/shared.yaml'],
  ])('%s reaches every app of the branch', (path) => {
    const scope = pushScope(push([commit({ modified: ['apps/api/x.yaml', path] })]));
    const selection = selectApps(APPS, scope);
    expect(names(selection.affected)).toEqual(names(APPS));
    expect(selection.reason).toContain(path);
  });

  it('files apps follow the same rule', () => {
    const files: AppConfig = {
      kind: 'files',
      name: 'nginx',
      path: 'hosts/nginx',
      target: 'edge',
      destination: '/etc/nginx',
      mode: 0o644,
      modes: [],
      branch: 'main',
      prune: false,
      selfHeal: false,
      adopt: false,
    };
    const mixed = [...APPS, files];
    const only = selectApps(mixed, pushScope(push([commit({ modified: ['hosts/nginx/a.conf'] })])));
    expect(names(only.affected)).toEqual(['nginx']);
    const shared = selectApps(
      mixed,
      pushScope(push([commit({ modified: ['hosts/common.conf'] })])),
    );
    expect(names(shared.affected)).toEqual(names(mixed));
  });

  it('property: any changed file outside every app’s path selects every app', () => {
    fc.assert(
      fc.property(apps, fc.array(file, { maxLength: 6 }), file, (generated, inside, outside) => {
        fc.pre(generated.every((a) => !isWithin(outside, a.path)));
        const scope = pushScope(push([commit({ modified: [...inside, outside] })]));
        const selection = selectApps(generated, scope);
        expect(names(selection.affected)).toEqual(names(generated));
        expect(selection.untouched).toEqual([]);
      }),
    );
  });

  it('property: exactly the apps holding a changed file are selected when every file is inside some app', () => {
    fc.assert(
      fc.property(apps, fc.array(file, { minLength: 1, maxLength: 6 }), (generated, paths) => {
        fc.pre(paths.every((p) => generated.some((a) => isWithin(p, a.path))));
        fc.pre(paths.every((p) => p !== 'plumbline.yaml' && !p.endsWith('plumbline.lock.yaml')));
        const selection = selectApps(generated, pushScope(push([commit({ added: paths })])));
        const expected = generated.filter((a) => paths.some((p) => isWithin(p, a.path)));
        expect(names(selection.affected)).toEqual(names(expected));
        expect(selection.affected.length + selection.untouched.length).toBe(generated.length);
      }),
    );
  });
});

describe('borrowedFiles: what a render read from another app’s path', () => {
  const apps = [app('prod', 'envs/prod'), app('staging', 'envs/staging'), app('base', 'base')];

  it('names each file read under another app’s path, with its owner, and nothing else', () => {
    const [prod] = apps as [KubernetesAppConfig];
    expect(
      borrowedFiles(prod, apps, [
        'envs/prod/kustomization.yaml',
        'envs/staging/kustomization.yaml',
        'envs/staging/patch.yaml',
        'components/common/kustomization.yaml',
      ]),
    ).toEqual([
      { file: 'envs/staging/kustomization.yaml', owner: 'staging' },
      { file: 'envs/staging/patch.yaml', owner: 'staging' },
    ]);
  });

  it('ignores apps of other branches (their files reach this branch’s apps as shared files)', () => {
    const other = { ...app('staging', 'envs/staging'), branch: 'release' };
    const [prod] = apps as [KubernetesAppConfig];
    expect(borrowedFiles(prod, [prod, other], ['envs/staging/a.yaml'])).toEqual([]);
  });

  it('stops at the limit', () => {
    const [prod] = apps as [KubernetesAppConfig];
    const files = Array.from({ length: 20 }, (_, i) => `base/f-${i}.yaml`);
    expect(borrowedFiles(prod, apps, files, 3)).toHaveLength(3);
  });
});
