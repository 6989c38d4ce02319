/**
 * Issue 11, finding 3c: when a secret value rotates, a ConfigMap generated from a SOPS `.env`
 * gets a new hash name, and the plan's deletion diff of the old ConfigMap printed the previous
 * value in clear (text and Markdown, so pull request comments too): sensitivity was only looked
 * up for the current render's names, and the previous value is not decrypted by this job.
 */
import { describe, expect, it } from 'vitest';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { baseFiles, REPO } from '../../unit/flows/fixtures.ts';
import { fixture } from '../../unit/secrets/fixtures.ts';
import { base64, envSecrets, published, sopsEnv, sopsFlowSetup } from './mask-fixtures.ts';

const fromEnv = {
  'apps/web/kustomization.yaml':
    'configMapGenerator:\n  - name: app-env\n    envs: [app.sops.env]\n',
  'apps/web/app.sops.env': sopsEnv,
  'apps/web/settings.yaml': '',
};

/** Deploys `first` on main, then plans a pull request changing the app to `second`. */
async function rotate(second: Record<string, string>, options: { unmark?: boolean } = {}) {
  const setup = sopsFlowSetup();
  const { git, deps, kube } = setup;
  const baseSha = git.commit(REPO, 'main', { ...baseFiles('blue'), ...fromEnv });
  const deployed = await deployApp(
    { kind: 'reconcile', repo: REPO, app: 'web', branch: 'main', deliveryId: 'd-1' },
    deps,
  );
  expect(deployed).toMatchObject({ status: 'applied' });
  const old = [...kube.objects.values()].find((o) => o.metadata.name?.startsWith('app-env-'));
  expect(old).toBeDefined();
  if (options.unmark && old?.metadata.annotations) {
    // As applied by a Plumbline from before objects carried their sensitivity.
    delete old.metadata.annotations['plumbline.dev/sensitive'];
  }
  const headSha = git.commit(REPO, 'feature', { ...baseFiles('blue'), ...fromEnv, ...second });
  git.openPullRequest(REPO, {
    number: 9,
    state: 'open',
    merged: false,
    headSha,
    headRef: 'feature',
    headRepo: REPO,
    baseRef: 'main',
    baseSha,
  });
  const outcome = await planPullRequest(
    { kind: 'plan', repo: REPO, number: 9, deliveryId: 'd-2' },
    deps,
  );
  return { ...setup, outcome, oldName: old?.metadata.name ?? '' };
}

describe('the deletion diff of a generated ConfigMap whose secret rotated', () => {
  it('masks the previous values, which this job never decrypted', async () => {
    const { git, logger, oldName, outcome } = await rotate({
      'apps/web/kustomization.yaml':
        'configMapGenerator:\n  - name: app-env\n    literals: [DB_PASSWORD=rotated-in-clear]\n',
    });
    expect(outcome).toMatchObject({ status: 'planned' });
    const out = published(git, logger);
    expect(out).toContain(`delete <code>ConfigMap web/${oldName}</code>`);
    // That the old object held values still shows, not what they were.
    expect(out).toContain('-  DB_PASSWORD: \\"***\\"');
    for (const secret of envSecrets) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(base64(secret));
    }
  });

  it('masks them for objects applied before they carried their sensitivity, by generator lineage', async () => {
    const { git, logger, oldName } = await rotate(
      {
        'apps/web/kustomization.yaml':
          'configMapGenerator:\n  - name: app-env\n    files: [config.sops.json]\n',
        'apps/web/config.sops.json': fixture('config.sops.json.txt'),
      },
      { unmark: true },
    );
    const out = published(git, logger);
    expect(out).toContain(`delete <code>ConfigMap web/${oldName}</code>`);
    for (const secret of envSecrets) expect(out).not.toContain(secret);
  });
});
