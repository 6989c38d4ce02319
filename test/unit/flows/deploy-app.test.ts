import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { isTransient } from '../../../lib/jobs/transient.ts';
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

  it('skips an app the push did not touch after one GET of its parent: no deployment', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    await deployApp(job('api'), deps);
    const before = git.head(REPO, 'main');
    git.commit(REPO, 'main', baseFiles('green'));
    kube.calls.length = 0;
    const deployments = git.deployments.length;
    const outcome = await deployApp(job('api', before), deps);
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: 'unchanged: the applied digest equals the head’s',
    });
    expect(kube.calls).toEqual(['get Secret api/api']);
    expect(git.deployments).toHaveLength(deployments);
  });

  it('deploys an app the push did not touch when it was never applied at the head (level-triggered)', async () => {
    const { git, deps } = flowSetup();
    const before = git.commit(REPO, 'main', baseFiles('blue'));
    const after = git.commit(REPO, 'main', baseFiles('green'));
    // Only web's files changed, but api was never applied: the push brings it to the head.
    const outcome = await deployApp(job('api', before), deps);
    expect(outcome).toMatchObject({
      status: 'applied',
      sha: after,
      reason: 'it was never applied',
    });
  });

  it('retries an app whose last run failed on the next push, even when none of its files changed', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    kube.failWhen((verb, ref) =>
      verb === 'apply' && ref.kind === 'ConfigMap'
        ? new KubeError('ConfigMap web/settings: apply failed (403 Forbidden)', 403, 'Forbidden')
        : undefined,
    );
    expect((await deployApp(job('web'), deps)).status).toBe('failed');
    const parent = kube.objects.get('|Secret|web|web');
    expect(parent?.metadata.annotations?.['plumbline.dev/failed']).toBe('apply');

    // The RBAC is fixed; a push that only touches api reaches web's branch: web is retried.
    kube.failWhen(() => undefined);
    const before = git.head(REPO, 'main');
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/api/settings.yaml': configMap('api-settings', 'x'),
    });
    const outcome = await deployApp(job('web', before), deps);
    expect(outcome).toMatchObject({
      status: 'applied',
      reason: expect.stringMatching(/^its last run failed \(apply/),
    });
    expect(
      kube.objects.get('|Secret|web|web')?.metadata.annotations?.['plumbline.dev/failed'],
    ).toBeUndefined();

    // And once it is applied, the next such push leaves it alone.
    const third = git.head(REPO, 'main');
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/api/settings.yaml': configMap('api-settings', 'y'),
    });
    expect((await deployApp(job('web', third), deps)).status).toBe('skipped');
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
      reason: 'unchanged: the applied digest equals the head’s',
    });
    expect(kube.calls).toEqual(['get Secret web/web']);
    expect(git.deployments).toHaveLength(1);
  });

  it('reports a target the settings refuse on the commit, touching no cluster and no tree', async () => {
    const { git, deps, kube, clientsFor } = flowSetup();
    const files = baseFiles('blue');
    const sha = git.commit(REPO, 'main', {
      ...files,
      'plumbline.yaml': (files['plumbline.yaml'] as string).replace(
        /target: prod/g,
        'target: elsewhere',
      ),
    });
    const outcome = await deployApp(job('web'), deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      sha,
      failure: {
        stage: 'config',
        message:
          "plumbline.yaml: app web: no target 'elsewhere' is bound in the runtime settings (targets)",
      },
    });
    expect(git.statuses.map((s) => [s.context, s.state, s.sha])).toEqual([
      ['plumbline/web', 'failure', sha],
    ]);
    expect(git.statuses[0]?.description).toContain("no target 'elsewhere' is bound");
    expect(git.deployments).toHaveLength(0);
    expect(kube.calls).toEqual([]);
    expect(clientsFor).toEqual([]);
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
    const error = await deployApp(job('web', before), deps).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(true);
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
