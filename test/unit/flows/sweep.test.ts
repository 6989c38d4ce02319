import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../lib/drift/drift.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { DRIFT_LABEL, type DriftFinding, syncDriftIssue } from '../../../lib/flows/drift-issue.ts';
import { sweepApp, sweepJobs } from '../../../lib/flows/sweep.ts';
import type { SweepJob } from '../../../lib/jobs/job.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { driftIssue } from '../../../lib/report/markdown.ts';
import { type Redacted, redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { baseFiles, flowSetup, REPO, ref } from './fixtures.ts';

const sweep = (app: string): SweepJob => ({
  kind: 'sweep',
  repo: REPO,
  app,
  branch: 'main',
  deliveryId: 'sweep-1',
});

const report = (replicasManager: string): DriftReport => ({
  app: 'web',
  namespace: 'web',
  applySetId: 'applyset-x-v1',
  appliedRevision: 'c'.repeat(40),
  drifted: [
    {
      ref: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' },
      fields: [{ path: '.spec.replicas', managers: [replicasManager] }],
      diff: '--- live\n+++ desired\n-  replicas: 5\n+  replicas: 2\n',
    },
  ],
  missing: [{ group: '', kind: 'ConfigMap', namespace: 'web', name: 'settings' }],
  extra: [],
  checked: 2,
  inSync: false,
});

const finding = (manager = 'kubectl', healed?: DriftFinding['healed']): Redacted<DriftFinding> =>
  redacted<DriftFinding>(
    {
      repo: REPO,
      app: 'web',
      sha: 'c'.repeat(40),
      target: 'prod',
      report: report(manager),
      ...(healed ? { healed } : {}),
    },
    noSecrets,
  );

describe('drift issues', () => {
  it('names each drifted field and the manager that changed it', () => {
    const body = driftIssue(finding('kubectl-scale', { ok: true, errors: [] }));
    expect(body).toContain('<!-- plumbline:drift acme/deploy#web -->');
    expect(body).toContain('| `Deployment.apps web/web` | `.spec.replicas` | `kubectl-scale` |');
    expect(body).toContain('- `ConfigMap web/settings`');
    expect(body).toContain('**Self-healed:**');
    expect(body).toContain('-  replicas: 5');
  });

  it('opens one issue, updates it while drift lasts, and closes it once clean', async () => {
    const git = new MemoryGitHost();
    git.commit(REPO, 'main', { 'README.md': 'x' });
    expect(await syncDriftIssue(git, ref, REPO, 'web', finding('kubectl'))).toMatchObject({
      action: 'opened',
    });
    expect(await syncDriftIssue(git, ref, REPO, 'web', finding('kubectl'))).toMatchObject({
      action: 'unchanged',
    });
    expect(await syncDriftIssue(git, ref, REPO, 'web', finding('helm'))).toMatchObject({
      action: 'updated',
    });
    expect(await syncDriftIssue(git, ref, REPO, 'api', undefined)).toEqual({ action: 'none' });
    const closed = await syncDriftIssue(git, ref, REPO, 'web', undefined);
    expect(closed.action).toBe('closed');
    const issues = await git.listIssues(ref, DRIFT_LABEL);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ state: 'closed', labels: [DRIFT_LABEL] });
    expect(issues[0]?.body).toContain('`helm`');
    expect(issues[0]?.body).toContain('back in sync');
    expect(await syncDriftIssue(git, ref, REPO, 'web', finding('kubectl'))).toMatchObject({
      action: 'opened',
    });
  });
});

describe('sweepApp', () => {
  it('applies an app whose head was missed by a webhook, recording a deployment', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    await deployApp(
      { kind: 'reconcile', repo: REPO, app: 'web', branch: 'main', deliveryId: 'd' },
      deps,
    );
    // A push whose delivery was lost.
    const missed = git.commit(REPO, 'main', baseFiles('green'));
    const outcome = await sweepApp(sweep('web'), deps);
    expect(outcome).toMatchObject({
      status: 'applied',
      deploy: { status: 'applied', sha: missed },
    });
    const stored = [...kube.objects.values()].find((o) => o.metadata.name === 'settings');
    expect((stored as { data?: unknown }).data).toEqual({ color: 'green' });
    expect(git.deployments.at(-1)?.statuses.at(-1)?.state).toBe('success');
  });

  it('reports a head that does not render as one commit status, however often it sweeps', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    await sweepApp(sweep('web'), deps);
    const broken = git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/web/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n',
    });
    const deployments = git.deployments.length;
    kube.calls.length = 0;
    for (let i = 0; i < 3; i++) {
      expect(await sweepApp(sweep('web'), deps)).toMatchObject({ status: 'failed', sha: broken });
    }
    expect(git.deployments.length).toBe(deployments);
    expect(kube.calls.filter((c) => !c.startsWith('get'))).toEqual([]);
    const last = git.statuses.at(-1);
    expect(last).toMatchObject({ sha: broken, context: 'plumbline/web', state: 'failure' });
    expect(last?.description).toMatch(/^render failed: apps\/web\/settings\.yaml/);
  });

  it('reports an up-to-date app as in sync and opens no issue', async () => {
    const { git, deps } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    await sweepApp(sweep('web'), deps);
    const outcome = await sweepApp(sweep('web'), deps);
    expect(outcome).toMatchObject({ status: 'in-sync', issue: 'none' });
    expect(git.issues.size).toBe(0);
  });

  it('lists one sweep job per app of every registered repository', async () => {
    const { git, deps } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    const jobs = await sweepJobs(deps, { sweepId: 's-1', logger: new MemoryLogger() });
    expect(jobs.map((j) => `${j.kind} ${j.repo} ${j.app} ${j.branch}`)).toEqual([
      'sweep acme/deploy web main',
      'sweep acme/deploy api main',
    ]);
  });

  it('logs a repository it cannot read and still returns the others', async () => {
    const { deps } = flowSetup();
    const logger = new MemoryLogger();
    expect(await sweepJobs(deps, { sweepId: 's-1', logger })).toEqual([]);
    expect(logger.find('sweep: cannot list apps')[0]?.fields).toMatchObject({ repo: REPO });
  });
});
