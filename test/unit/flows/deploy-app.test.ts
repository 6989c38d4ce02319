import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { baseFiles, configMap, flowSetup, REPO } from './fixtures.ts';

const job = (app: string, since?: string): ReconcileJob => ({
  kind: 'reconcile',
  repo: REPO,
  app,
  branch: 'main',
  deliveryId: 'd-1',
  ...(since ? { since } : {}),
});

describe('deployApp', () => {
  it('deploys an affected app and records a deployment and a commit status', async () => {
    const { git, deps, kube } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    const after = git.commit(REPO, 'main', baseFiles('green'));
    const outcome = await deployApp(job('web', before), deps);
    expect(outcome).toMatchObject({ status: 'applied', sha: after });
    const stored = [...kube.objects.values()].find((o) => o.metadata.name === 'settings');
    expect((stored as { data?: unknown }).data).toEqual({ color: 'green' });
    expect(git.deployments).toHaveLength(1);
    expect(git.deployments[0]).toMatchObject({ ref: after, environment: 'web' });
    expect(git.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(git.deployments[0]?.statuses[1]?.description).toBe(
      `Applied ${after.slice(0, 7)}: 1 created`,
    );
    expect(git.statuses.map((s) => [s.context, s.state, s.sha])).toEqual([
      ['plumbline/web', 'pending', after],
      ['plumbline/web', 'success', after],
    ]);
  });

  it('skips an app the push did not touch, without a cluster request or a deployment', async () => {
    const { git, deps, clientsFor, kube } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    git.commit(REPO, 'main', baseFiles('green'));
    const outcome = await deployApp(job('api', before), deps);
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: 'not affected: no file it reads changed',
    });
    expect(clientsFor).toEqual([]);
    expect(kube.calls).toEqual([]);
    expect(git.deployments).toEqual([]);
    expect(git.statuses).toEqual([]);
  });

  it('without a hint, skips an app whose rendered digest matches the applied one (one GET)', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    await deployApp(job('web'), deps);
    kube.calls.length = 0;
    git.commit(REPO, 'main', { ...baseFiles('blue'), 'README.md': 'docs\n' });
    const outcome = await deployApp(job('web'), deps);
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: 'rendered digest matches the applied one',
    });
    expect(kube.calls).toEqual(['get Secret web/web']);
    expect(git.deployments).toHaveLength(1);
  });

  it('records a render failure on the deployment with the file, touching no cluster object', async () => {
    const { git, deps, kube } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/web/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n',
    });
    const outcome = await deployApp(job('web', before), deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: { stage: 'render', file: 'apps/web/settings.yaml' },
    });
    expect(kube.calls).toEqual([]);
    const last = git.deployments[0]?.statuses.at(-1);
    expect(last?.state).toBe('failure');
    expect(last?.description).toMatch(/^render failed: apps\/web\/settings\.yaml/);
    expect(last?.description.length).toBeLessThanOrEqual(140);
    expect(git.statuses.at(-1)).toMatchObject({ context: 'plumbline/web', state: 'failure' });
  });

  it('reports a transient cluster failure as an error and throws, so the queue retries', async () => {
    const { git, deps, kube } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    git.commit(REPO, 'main', baseFiles('green'));
    kube.failWhen((verb) =>
      verb === 'apply'
        ? new KubeError('v1 ConfigMap web/settings: server answered 503', 503)
        : undefined,
    );
    await expect(deployApp(job('web', before), deps)).rejects.toBeInstanceOf(KubeError);
    expect(git.deployments[0]?.statuses.at(-1)?.state).toBe('error');
    expect(git.deployments[0]?.statuses.at(-1)?.description).toMatch(/^Will retry: /);
  });

  it('still deploys when GitHub refuses the deployment record', async () => {
    const { git, deps, logger } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/web/settings.yaml': configMap('settings', 'x'),
    });
    git.createDeployment = async () => {
      throw new Error('403 Resource not accessible by integration');
    };
    const outcome = await deployApp(job('web', before), deps);
    expect(outcome.status).toBe('applied');
    expect(logger.find('plumbline/web: creating the deployment failed')).toHaveLength(1);
  });
});
