import { describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { appImpact, changedFiles, ZERO_SHA } from '../../../lib/flows/affected-apps.ts';
import type { Comparison, GitHost } from '../../../lib/ports/git-host.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { config, ref } from './fixtures.ts';

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${value}"\n`;

const files = {
  'plumbline.yaml': config(),
  'apps/web/kustomization.yaml': 'resources:\n  - ../../base/shared\n  - web.yaml\n',
  'apps/web/web.yaml': configMap('web', '1'),
  'base/shared/kustomization.yaml': 'resources:\n  - shared.yaml\n',
  'base/shared/shared.yaml': configMap('shared', '1'),
  'apps/api/api.yaml': configMap('api', '1'),
  'apps/api/extra.yaml': configMap('extra', '1'),
  'README.md': 'hello\n',
};

/** Commits `files`, then `change` on top, and judges every app. */
async function judge(
  change: Record<string, string | null>,
  options: { forced?: boolean; trusted?: boolean } = {},
) {
  const git = new MemoryGitHost();
  const before = git.commit('acme/deploy', 'main', files);
  const next: Record<string, string> = { ...files };
  for (const [path, content] of Object.entries(change)) {
    if (content === null) delete next[path];
    else next[path] = content;
  }
  const after = git.commit('acme/deploy', 'main', next);
  const tree = await git.treeAt(ref, after);
  const headConfig = parseRepoConfig(next['plumbline.yaml'] as string);
  const { trusted = true, ...range } = options;
  // The head judged is the trusted branch's (unless the test says otherwise).
  const changed = await changedFiles(
    git,
    ref,
    { base: before, head: after, ...range },
    trusted ? { branch: 'main', sha: after, config: headConfig } : undefined,
  );
  const verdicts: Record<string, string> = {};
  for (const app of headConfig.apps) {
    const render = await renderApp(tree, app.path);
    const impact = appImpact(app, headConfig, changed, render);
    verdicts[app.name] = impact.affected ? `affected: ${impact.reason}` : 'unaffected';
  }
  return { verdicts, git };
}

describe('change detection', () => {
  it('affects only the app whose own file changed', async () => {
    const { verdicts } = await judge({ 'apps/web/web.yaml': configMap('web', '2') });
    expect(verdicts).toEqual({ web: 'affected: apps/web/web.yaml changed', api: 'unaffected' });
  });

  it('affects an app through a base outside its path', async () => {
    const { verdicts } = await judge({ 'base/shared/shared.yaml': configMap('shared', '2') });
    expect(verdicts).toEqual({
      web: 'affected: base/shared/shared.yaml changed',
      api: 'unaffected',
    });
  });

  it('affects a directory app when one of its manifests is deleted', async () => {
    const { verdicts } = await judge({ 'apps/api/extra.yaml': null });
    expect(verdicts).toEqual({
      web: 'unaffected',
      api: 'affected: apps/api/extra.yaml changed beside its files',
    });
  });

  it('affects no app when an unrelated file changed', async () => {
    const { verdicts } = await judge({ 'README.md': 'changed\n' });
    expect(verdicts).toEqual({ web: 'unaffected', api: 'unaffected' });
  });

  it('affects an app whose plumbline.yaml entry changed, and not the others', async () => {
    const { verdicts } = await judge({
      'plumbline.yaml': config().replace('namespace: api', 'namespace: api2'),
    });
    expect(verdicts).toEqual({
      web: 'unaffected',
      api: 'affected: its plumbline.yaml entry changed',
    });
  });

  it('compares entries only when the head judged is the trusted one', async () => {
    const { verdicts } = await judge(
      { 'plumbline.yaml': config().replace('namespace: api', 'namespace: api2') },
      { trusted: false },
    );
    expect(verdicts).toEqual({ web: 'unaffected', api: 'unaffected' });
  });

  it('affects every app of the branch after a force push', async () => {
    const { verdicts } = await judge({ 'README.md': 'x\n' }, { forced: true });
    expect(verdicts).toEqual({
      web: 'affected: force push: history was rewritten',
      api: 'affected: force push: history was rewritten',
    });
  });

  it('affects every app of a new branch (before is all zeros), without a compare call', async () => {
    const git = new MemoryGitHost();
    const head = git.commit('acme/deploy', 'main', files);
    const changed = await changedFiles(git, ref, { base: ZERO_SHA, head });
    expect(changed).toEqual({
      kind: 'unknown',
      reason: 'new branch: no previous commit to compare with',
    });
    expect(git.calls.filter((c) => c.startsWith('compare'))).toEqual([]);
  });

  it('affects every app when the compare API lists 300 files (the list is incomplete)', async () => {
    const git = new MemoryGitHost();
    const head = git.commit('acme/deploy', 'main', files);
    const truncated: GitHost = Object.assign(git, {
      compare: async (): Promise<Comparison> => ({
        base: 'a'.repeat(40),
        head,
        files: Array.from({ length: 300 }, (_, i) => ({ path: `f${i}`, status: 'added' as const })),
        truncated: true,
      }),
    });
    const changed = await changedFiles(truncated, ref, { base: 'a'.repeat(40), head });
    expect(changed).toEqual({
      kind: 'unknown',
      reason: 'more than 300 files changed: the list is incomplete',
    });
    const app = parseRepoConfig(files['plumbline.yaml']).apps[0];
    if (!app) throw new Error('no app');
    expect(
      appImpact(app, parseRepoConfig(files['plumbline.yaml']), changed, { files: [] }),
    ).toMatchObject({
      affected: true,
    });
  });

  it('counts a renamed file at its previous path too', async () => {
    const git = new MemoryGitHost();
    const base = git.commit('acme/deploy', 'main', files);
    const head = git.commit('acme/deploy', 'main', files);
    const renaming: GitHost = Object.assign(git, {
      compare: async (): Promise<Comparison> => ({
        base: head,
        head,
        files: [
          { path: 'elsewhere/web.yaml', status: 'renamed', previousPath: 'apps/web/web.yaml' },
        ],
        truncated: false,
      }),
    });
    const changed = await changedFiles(renaming, ref, { base, head });
    const headConfig = parseRepoConfig(files['plumbline.yaml']);
    const web = headConfig.apps[0];
    if (!web || changed.kind !== 'listed') throw new Error('unexpected');
    expect(appImpact(web, headConfig, changed, { files: ['apps/web/web.yaml'] })).toMatchObject({
      affected: true,
      reason: 'apps/web/web.yaml changed',
    });
  });

  it('treats an app that does not render as affected, so its failure is reported', async () => {
    const { git } = await judge({});
    const headConfig = parseRepoConfig(files['plumbline.yaml']);
    const web = headConfig.apps[0];
    if (!web) throw new Error('no app');
    const head = await git.branchHead(ref, 'main');
    const changed = await changedFiles(git, ref, { base: head, head });
    expect(appImpact(web, headConfig, changed, undefined)).toMatchObject({
      affected: true,
      reason: 'it does not render',
    });
  });
});
