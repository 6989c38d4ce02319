import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../../lib/config/repo-config.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { createFakeKubeClient } from '../../../lib/kube/fake-client.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { MemoryGitHost } from '../../../lib/ports/memory-git-host.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { createClusterAccess } from '../../../lib/reconcile/cluster-access.ts';
import { type ReconcileDeps, reconcileApp } from '../../../lib/reconcile/reconcile-app.ts';

const config = `
targets:
  - name: prod
    server: https://k8s.example.com
    credentials:
      token:
        secret: prod-token
apps:
  - name: web
    path: apps/web
    target: prod
    namespace: web
`;

const configMap = (color: string) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: ${color}
`;

const job: ReconcileJob = {
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'd-1',
};

function setup(files: Record<string, string>) {
  const git = new MemoryGitHost();
  const sha = git.commit('acme/deploy', 'main', files);
  const kube = createFakeKubeClient();
  const logger = new MemoryLogger();
  const targets: TargetConfig[] = [];
  const deps: ReconcileDeps = {
    registry: new StaticRepoRegistry(['acme/deploy']),
    gitHostFor: () => git,
    clusters: {
      async clientFor(target) {
        targets.push(target);
        return kube;
      },
    },
    holder: 'test',
    logger,
  };
  return { git, sha, kube, logger, deps, targets };
}

describe('reconcileApp', () => {
  it('applies the head of the branch and returns the change set', async () => {
    const { sha, kube, deps, targets } = setup({
      'plumbline.yaml': config,
      'apps/web/settings.yaml': configMap('blue'),
    });
    const outcome = await reconcileApp(job, deps);
    expect(outcome.status).toBe('applied');
    if (outcome.status === 'skipped') throw new Error('unreachable');
    expect(outcome.sha).toBe(sha);
    expect(outcome.render?.files).toEqual(['apps/web/settings.yaml']);
    expect(
      outcome.changeSet?.entries.map((e) => `${e.action} ${e.ref.kind}/${e.ref.name}`),
    ).toEqual(['created ConfigMap/settings']);
    expect(targets.map((t) => t.name)).toEqual(['prod']);
    const stored = [...kube.objects.values()].find((o) => o.metadata.name === 'settings');
    expect(stored?.metadata.namespace).toBe('web');
    expect((stored as { data?: Record<string, string> }).data).toEqual({ color: 'blue' });
  });

  it('changes nothing when run again at the same commit', async () => {
    const { deps } = setup({
      'plumbline.yaml': config,
      'apps/web/settings.yaml': configMap('blue'),
    });
    await reconcileApp(job, deps);
    const again = await reconcileApp(job, deps);
    if (again.status === 'skipped') throw new Error('unreachable');
    expect(again.changeSet?.entries.map((e) => e.action)).toEqual(['unchanged']);
  });

  it('skips an app that is no longer in plumbline.yaml, touching no cluster', async () => {
    const { deps, kube } = setup({ 'plumbline.yaml': config.replace('name: web', 'name: api') });
    const outcome = await reconcileApp(job, deps);
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining("app 'web'"),
    });
    expect(kube.calls).toEqual([]);
  });

  it('stops at render on a broken manifest, naming the file, touching no cluster', async () => {
    const { deps, kube, logger } = setup({
      'plumbline.yaml': config,
      'apps/web/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n',
    });
    const outcome = await reconcileApp(job, deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: { stage: 'render', file: 'apps/web/settings.yaml' },
    });
    expect(kube.calls).toEqual([]);
    expect(logger.find('reconcile failed')).toHaveLength(1);
  });

  it('stops at decryption when an encrypted file has no key, touching no cluster', async () => {
    const encrypted = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: db',
      'stringData:',
      '  password: ENC[AES256_GCM,data:3kWD,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]',
      'sops:',
      '  age:',
      '  - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
      '    enc: |',
      '      -----BEGIN AGE ENCRYPTED FILE-----',
      '      YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB4Cg==',
      '      -----END AGE ENCRYPTED FILE-----',
      '  lastmodified: "2026-01-01T00:00:00Z"',
      '  mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]',
      '  unencrypted_suffix: _unencrypted',
      '  version: 3.13.3',
      '',
    ].join('\n');
    const { deps, kube } = setup({ 'plumbline.yaml': config, 'apps/web/db.yaml': encrypted });
    const outcome = await reconcileApp(job, deps);
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'decrypt' } });
    if (outcome.status === 'skipped') throw new Error('unreachable');
    expect(outcome.failure?.message).toContain('apps/web/db.yaml');
    expect(kube.calls).toEqual([]);
  });

  it('reports a target whose secret the runtime lacks, naming secret and target', async () => {
    const { deps } = setup({
      'plumbline.yaml': config,
      'apps/web/settings.yaml': configMap('blue'),
    });
    deps.clusters = createClusterAccess({
      secrets: new MemorySecretStore({}),
      transport: () => fetch,
    });
    const outcome = await reconcileApp(job, deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: {
        stage: 'credentials',
        message: "target prod: the runtime holds no secret 'prod-token' (its bearer token)",
      },
    });
  });

  it('reports an invalid plumbline.yaml as a config failure', async () => {
    const { deps } = setup({ 'plumbline.yaml': config.replace('target: prod', 'target: staging') });
    const outcome = await reconcileApp(job, deps);
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'config' } });
    if (outcome.status === 'skipped') throw new Error('unreachable');
    expect(outcome.failure?.message).toContain('staging');
  });
});
