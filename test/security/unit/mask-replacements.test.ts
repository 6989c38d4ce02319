/**
 * Issue 11, finding 3b: `replacements` that copy a SOPS value into metadata (annotations,
 * labels, a name) or into another object were printed in clear by `plumbline render` and by
 * the pull request comment: metadata was never masked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { captureIo } from '../../env/cli-io.ts';
import { baseFiles, REPO } from '../../unit/flows/fixtures.ts';
import { ageIdentities, fixture } from '../../unit/secrets/fixtures.ts';
import { base64, published, sopsFlowSetup } from './mask-fixtures.ts';

// secret-regex.sops.yaml: Secret shop/db-credentials, stringData.password below.
const password = 'correct horse battery staple';

const app = {
  'apps/web/kustomization.yaml': `resources:
  - secret.sops.yaml
  - deployment.yaml
replacements:
  - source: { kind: Secret, name: db-credentials, fieldPath: stringData.password }
    targets:
      - select: { kind: Deployment, name: web }
        fieldPaths:
          - metadata.annotations.leaked
          - spec.template.metadata.labels.leaked
        options: { create: true }
      - select: { kind: ConfigMap, name: other }
        fieldPaths: [metadata.annotations.leaked, data.copied]
        options: { create: true }
`,
  'apps/web/secret.sops.yaml': fixture('secret-regex.sops.yaml'),
  'apps/web/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
  namespace: shop
data:
  plain: visible
`,
};

const root = mkdtempSync(join(tmpdir(), 'plumbline-mask-replacements-'));
mkdirSync(join(root, '.git'));
for (const [path, content] of Object.entries(app)) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a SOPS value copied by replacements into metadata and other objects', () => {
  afterEach(() => {
    delete process.env.SOPS_AGE_KEY;
  });

  it('is masked by plumbline render, wherever it landed', async () => {
    process.env.SOPS_AGE_KEY = ageIdentities[0];
    const { out, io } = captureIo();
    const code = await runCli(['render', join(root, 'apps/web')], io);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    // The positions are still there, so a reader sees where a secret went.
    expect(out.stdout).toMatch(/leaked: '\*\*\*'/);
    expect(out.stdout).toContain('app: db');
    expect(out.stdout).not.toContain(password);
    expect(out.stdout).not.toContain(base64(password));
  });

  it('is masked in the pull request comment and the check run', async () => {
    const { git, deps, logger } = sopsFlowSetup();
    const baseSha = git.commit(REPO, 'main', baseFiles('blue'));
    const headSha = git.commit(REPO, 'feature', { ...baseFiles('blue'), ...app });
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
    await planPullRequest({ kind: 'plan', repo: REPO, number: 7, deliveryId: 'd' }, deps);
    const out = published(git, logger);
    expect(out).toContain('Deployment.apps shop/web');
    expect(out).toContain('leaked: \\"***\\"');
    expect(out).not.toContain(password);
    expect(out).not.toContain(base64(password));
  });
});
