/**
 * Issue 11, finding 3a: a `configMapGenerator` fed by a SOPS `.env`, in an app whose namespace
 * comes from `plumbline.yaml` (the manifests name none), printed the plaintext in the plan and
 * the pull request comment: the sensitive-object keys were computed before the namespace was
 * filled in, so the generated ConfigMap was not found sensitive.
 */
import { describe, expect, it } from 'vitest';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';
import { baseFiles, REPO } from '../../unit/flows/fixtures.ts';
import { ageIdentities } from '../../unit/secrets/fixtures.ts';
import { base64, envSecrets, published, sopsEnv, sopsFlowSetup } from './mask-fixtures.ts';

const generatedApp = {
  'apps/web/kustomization.yaml':
    'configMapGenerator:\n  - name: app-env\n    envs:\n      - app.sops.env\n',
  'apps/web/app.sops.env': sopsEnv,
};

describe('a generated ConfigMap from a SOPS .env in an app namespaced by plumbline.yaml', () => {
  it('is masked in the pull request comment, the check run and the logs', async () => {
    const { git, deps, logger } = sopsFlowSetup();
    const baseSha = git.commit(REPO, 'main', baseFiles('blue'));
    const headSha = git.commit(REPO, 'feature', {
      ...baseFiles('blue'),
      'apps/web/settings.yaml': '',
      ...generatedApp,
    });
    git.openPullRequest(REPO, {
      number: 7,
      state: 'open',
      merged: false,
      headSha,
      headRef: 'feature',
      headRepo: REPO,
      baseRef: 'main',
      baseSha,
    });
    const outcome = await planPullRequest(
      { kind: 'plan', repo: REPO, number: 7, deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'planned' });
    const out = published(git, logger);
    // The plan shows the object and that it holds values, not what they are.
    expect(out).toContain('ConfigMap web/app-env-');
    expect(out).toContain('DB_PASSWORD: \\"***\\"');
    for (const secret of envSecrets) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(base64(secret));
    }
  });

  it('is masked in the plan itself, whose JSON is what `plumbline plan -o json` prints', async () => {
    const tree = new MemoryFileTree(generatedApp, 'r1');
    const rendered = await renderApp(tree, 'apps/web', {
      decryptor: createSopsDecryptor({ ageIdentities: [...ageIdentities] }),
    });
    const plan = await planApp(
      {
        app: 'web',
        namespace: 'web',
        objects: rendered.objects,
        revision: 'r1',
        sensitive: new Set(rendered.sensitive),
      },
      createFakeKubeClient(),
    );
    const json = JSON.stringify(plan);
    expect(json).toContain('DB_PASSWORD');
    for (const secret of envSecrets) expect(json).not.toContain(secret);
  });
});

describe('the plan digest shown in a pull request', () => {
  it('says nothing of a decrypted value copied into a name, which the author could guess', async () => {
    const { objectsDigest } = await import('../../../lib/desired/digest.ts');
    const { SecretLedger } = await import('../../../lib/secrets/secret-ledger.ts');
    const digestWith = async (secret: string) => {
      const ledger = new SecretLedger();
      ledger.record([secret]);
      const object = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `app-${secret}`, namespace: 'web' },
        data: { color: 'blue' },
      };
      // The desired half of the plan digest (the live half masks the same way).
      return objectsDigest([object], { secrets: ledger });
    };
    expect(await digestWith('guessable-1')).toBe(await digestWith('guessable-2'));
  });
});
