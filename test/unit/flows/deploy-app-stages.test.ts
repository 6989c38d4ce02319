/**
 * deployApp stops at the stage that fails (config, decrypt, credentials) and touches no
 * cluster object after it; run again at the same commit, it changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { createClusterAccess } from '../../../lib/credentials/cluster-access.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { baseFiles, config, flowSetup, REPO } from './fixtures.ts';

const job: ReconcileJob = {
  kind: 'reconcile',
  repo: REPO,
  app: 'web',
  branch: 'main',
  deliveryId: 'd-1',
};

/** A SOPS file whose only age recipient has no identity here. */
const encryptedSecret = [
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

describe('deployApp, stage by stage', () => {
  it('changes nothing when run again at the same commit', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    expect(await deployApp(job, deps)).toMatchObject({ status: 'applied' });
    const writes = kube.calls.filter((call) => !/^(get|list|discover)/.test(call)).length;
    const again = await deployApp(job, deps);
    expect(again).toMatchObject({ status: 'skipped' });
    expect(kube.calls.filter((call) => !/^(get|list|discover)/.test(call))).toHaveLength(writes);
  });

  it('skips an app that left plumbline.yaml, touching no cluster', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', { 'plumbline.yaml': config().replace('name: web', 'name: www') });
    const outcome = await deployApp(job, deps);
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining("app 'web'"),
    });
    expect(kube.calls).toEqual([]);
  });

  it('stops at decryption when an encrypted file has no key, touching no cluster', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', { ...baseFiles('blue'), 'apps/web/db.yaml': encryptedSecret });
    const outcome = await deployApp(job, deps);
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'decrypt' } });
    expect(JSON.stringify(outcome)).toContain('apps/web/db.yaml');
    expect(kube.calls).toEqual([]);
  });

  it('names the target and the secret when the runtime lacks a credential', async () => {
    const { git, deps } = flowSetup();
    git.commit(REPO, 'main', baseFiles('blue'));
    deps.clusters = createClusterAccess({
      secrets: new MemorySecretStore({}),
      transport: () => fetch,
    });
    const outcome = await deployApp(job, deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: {
        stage: 'credentials',
        message: "target prod: the runtime holds no secret 'prod-token' (its bearer token)",
      },
    });
  });

  it('reports an invalid plumbline.yaml as a config failure naming the unknown target', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'plumbline.yaml': config().replace(
        'target: prod\n    namespace: web',
        'target: staging\n    namespace: web',
      ),
    });
    const outcome = await deployApp(job, deps).catch((error: Error) => ({
      status: 'thrown',
      stage: (error as { stage?: string }).stage,
      message: error.message,
    }));
    expect(JSON.stringify(outcome)).toContain('staging');
    expect(JSON.stringify(outcome)).toContain('config');
    expect(kube.calls).toEqual([]);
  });
});
