import { describe, expect, it } from 'vitest';
import { RepoConfigError } from '../../../lib/config/parse-repo-config.ts';
import type { KubernetesTarget } from '../../../lib/config/target-binding.ts';
import { TargetNotAllowedError } from '../../../lib/config/trusted-config.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { resolveReconcileJob } from '../../../lib/jobs/resolve-job.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';

const config = `apps:
  - name: web
    path: apps/web
    target: staging
    namespace: web
`;

const staging: KubernetesTarget = {
  kind: 'kubernetes',
  name: 'staging',
  server: 'https://k8s.example.com',
  credentials: { kind: 'token', secret: 'staging-token' },
  repositories: ['acme/*'],
  namespaces: ['web', 'api'],
  clusterResources: false,
  allowLinkLocal: false,
};

const job: ReconcileJob = {
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'd1',
};

function setup(repos: ConstructorParameters<typeof StaticRepoRegistry>[0] = ['acme/deploy']) {
  const gitHost = new MemoryGitHost();
  const deps = {
    registry: new StaticRepoRegistry(repos),
    gitHostFor: () => gitHost,
    targets: [staging],
  };
  return { gitHost, deps };
}

describe('resolveReconcileJob', () => {
  it('resolves the app, its binding and the tree at the current branch head', async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': config, 'apps/web/a.yaml': 'old' });
    const head = gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config,
      'apps/web/a.yaml': 'new',
    });
    const resolved = await resolveReconcileJob(job, deps);
    if (resolved.kind !== 'ready') throw new Error(`not ready: ${resolved.kind}`);
    expect(resolved.sha).toBe(head);
    expect(resolved.trusted).toMatchObject({ branch: 'main', sha: head });
    expect(resolved.app).toMatchObject({ name: 'web', path: 'apps/web', namespace: 'web' });
    expect(resolved.target).toBe(staging);
    expect(await readText(resolved.tree, 'apps/web/a.yaml')).toBe('new');
    expect(resolved.repo.fullName).toBe('acme/deploy');
  });

  it("takes the app from the trusted branch and renders the branch it tracks, ignoring that branch's plumbline.yaml", async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': `${config}    branch: release\n`,
    });
    const release = gitHost.commit('acme/deploy', 'release', {
      // The deployment branch's own copy says otherwise: it decides nothing.
      'plumbline.yaml': config.replace('namespace: web', 'namespace: kube-system'),
      'apps/web/a.yaml': 'release build',
    });
    const resolved = await resolveReconcileJob({ ...job, branch: 'release' }, deps);
    if (resolved.kind !== 'ready') throw new Error(`not ready: ${resolved.kind}`);
    expect(resolved.sha).toBe(release);
    expect(resolved.app).toMatchObject({ namespace: 'web', branch: 'release' });
    expect(resolved.trusted.branch).toBe('main');
    expect(await readText(resolved.tree, 'apps/web/a.yaml')).toBe('release build');
  });

  it('trusts the default branch GitHub names, or the branch the operator names instead', async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': config });
    gitHost.commit('acme/deploy', 'trunk', {
      'plumbline.yaml': config.replace('path: apps/web', 'path: apps/trunk'),
    });
    gitHost.setDefaultBranch('acme/deploy', 'trunk');
    // Apps naming no branch track the trusted branch.
    const fromDefault = await resolveReconcileJob({ ...job, branch: 'trunk' }, deps);
    expect(fromDefault).toMatchObject({ kind: 'ready', app: { path: 'apps/trunk' } });
    const pinned = setup([{ fullName: 'acme/deploy', trustedBranch: 'main' }]);
    pinned.deps.gitHostFor = () => gitHost;
    expect(await resolveReconcileJob(job, pinned.deps)).toMatchObject({
      kind: 'ready',
      app: { path: 'apps/web', branch: 'main' },
    });
  });

  it('skips, with a reason, when the repository, the config or the app is gone', async () => {
    const { gitHost, deps } = setup();
    expect(await resolveReconcileJob({ ...job, repo: 'acme/other' }, deps)).toEqual({
      kind: 'skip',
      reason: 'repository acme/other is no longer configured',
    });
    gitHost.commit('acme/deploy', 'main', { 'README.md': '#' });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: 'no plumbline.yaml on the trusted branch of acme/deploy',
    });
    const renamed = gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config.replace('name: web', 'name: site'),
    });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: `app 'web' is not in plumbline.yaml at ${renamed.slice(0, 7)} of main`,
    });
    const moved = gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': `${config}    branch: release\n`,
    });
    expect(await resolveReconcileJob(job, deps)).toEqual({
      kind: 'skip',
      reason: `app 'web' tracks branch release, not main (plumbline.yaml at ${moved.slice(0, 7)} of main)`,
    });
  });

  it('refuses a target the settings do not bind, or do not let this repository or namespace use', async () => {
    const { gitHost, deps } = setup(['acme/deploy', 'other/repo']);
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config.replace('target: staging', 'target: prod'),
    });
    const refusal = async (j: typeof job) => {
      const resolved = await resolveReconcileJob(j, deps);
      if (resolved.kind !== 'refused') throw new Error(`not refused: ${resolved.kind}`);
      expect(resolved.error).toBeInstanceOf(TargetNotAllowedError);
      return resolved;
    };
    const unknown = await refusal(job);
    expect(unknown.error.message).toBe(
      "plumbline.yaml: app web: no target 'prod' is bound in the runtime settings (targets)",
    );
    // The head it would have deployed, where the refusal is reported.
    expect(unknown.sha).toBe(await gitHost.branchHead({ owner: 'acme', repo: 'deploy' }, 'main'));
    gitHost.commit('other/repo', 'main', { 'plumbline.yaml': config });
    const foreign = await refusal({ ...job, repo: 'other/repo' });
    expect(foreign.error.message).toBe(
      "plumbline.yaml: app web: target 'staging' does not serve repository other/repo (runtime setting targets[staging].repositories)",
    );
    // Which repositories a binding serves is not revealed to another repository.
    expect(foreign.error.message).not.toContain('acme/*');
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config.replace('namespace: web', 'namespace: kube-system'),
    });
    expect((await refusal(job)).error.message).toBe(
      "plumbline.yaml: app web: namespace 'kube-system' is not allowed on target 'staging' (runtime setting targets[staging].namespaces: web, api)",
    );
    // No tree was downloaded for a refused job.
    expect(gitHost.calls.filter((c) => c.startsWith('treeAt'))).toEqual([]);
  });

  it('fails with the config error when the trusted plumbline.yaml is invalid', async () => {
    const { gitHost, deps } = setup();
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': `${config}    prune: maybe\n`,
    });
    await expect(resolveReconcileJob(job, deps)).rejects.toBeInstanceOf(RepoConfigError);
    await expect(resolveReconcileJob(job, deps)).rejects.toThrow(
      "plumbline.yaml:6: apps[0].prune: must be true or false, not the string 'maybe'",
    );
  });
});
