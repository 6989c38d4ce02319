import { describe, expect, it } from 'vitest';
import { RepoConfigError } from '../../../lib/config/parse-repo-config.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { resolveReconcileJob } from '../../../lib/jobs/resolve-job.ts';
import { MemoryGitHost } from '../../../lib/ports/memory-git-host.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { readText } from '../../../lib/source/file-tree.ts';

const config = `targets:
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

const job: ReconcileJob = {
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'd1',
};

function setup() {
  const gitHost = new MemoryGitHost();
  const deps = { registry: new StaticRepoRegistry(['acme/deploy']), gitHostFor: () => gitHost };
  return { gitHost, deps };
}

describe('resolveReconcileJob', () => {
  it('resolves the app, its target and the tree at the current branch head', async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': config, 'apps/web/a.yaml': 'old' });
    const head = gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config,
      'apps/web/a.yaml': 'new',
    });
    const resolved = await resolveReconcileJob(job, deps);
    if (resolved.kind !== 'ready') throw new Error(`not ready: ${resolved.kind}`);
    expect(resolved.sha).toBe(head);
    expect(resolved.app).toMatchObject({ name: 'web', path: 'apps/web', namespace: 'web' });
    expect(resolved.target).toMatchObject({ name: 'staging', credentials: { kind: 'token' } });
    expect(await readText(resolved.tree, 'apps/web/a.yaml')).toBe('new');
    expect(resolved.repo.fullName).toBe('acme/deploy');
  });

  it('skips, with a reason, when the repository, the config or the app is gone', async () => {
    const { gitHost, deps } = setup();
    expect(await resolveReconcileJob({ ...job, repo: 'acme/other' }, deps)).toEqual({
      kind: 'skip',
      reason: 'repository acme/other is no longer configured',
    });
    const bare = gitHost.commit('acme/deploy', 'main', { 'README.md': '#' });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: `no plumbline.yaml at ${bare.slice(0, 7)} of main`,
    });
    const renamed = gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config.replace('name: web', 'name: site'),
    });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: `app 'web' is not in plumbline.yaml at ${renamed.slice(0, 7)}`,
    });
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': `${config}    branch: release\n`,
    });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: "app 'web' now tracks branch release, not main",
    });
  });

  it('fails with the config error when plumbline.yaml is invalid', async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config.replace('target: staging', 'target: prod'),
    });
    await expect(resolveReconcileJob(job, deps)).rejects.toBeInstanceOf(RepoConfigError);
    await expect(resolveReconcileJob(job, deps)).rejects.toThrow(
      "plumbline.yaml:10: apps[0].target: unknown target 'prod'; defined targets: staging",
    );
  });
});
