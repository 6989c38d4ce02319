/**
 * No plaintext secret in the history: a canary encrypted by the real sops in a real SOPS file
 * is deployed by a push, planned in a pull request (rotated), echoed back by the real API
 * server in a failed deploy, and drifted and healed by a sweep, all recorded by the Node
 * runtime in its SQLite history. The database file (and its write-ahead log) is then read back
 * raw: neither the canary nor its base64 appear, while the records are there and their diffs
 * show that a value changed. The status API's answers are checked the same way.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { historyPath, sqliteHistory } from '../../../functions/node/sqlite-history.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { uniqueName } from '../../env/admin.ts';
import { binary } from '../../env/paths.ts';
import { testTargetBinding } from '../../env/target-config.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../../github-server/webhook-delivery.ts';

const webhookSecret = 'history-canary-webhook';
const repo = 'acme/history-canary';
const token = 'gh-history-canary-token';
const tag = () => Math.random().toString(36).slice(2, 10);
const canary = `hcnry${tag()}${tag()}`;
const rotated = `hrotd${tag()}${tag()}`;

function forms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url')];
}

function sopsEncrypt(name: string, plaintext: string, recipient: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-history-sops-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, plaintext);
    const regex = name.endsWith('.yaml') ? ['--encrypted-regex', '^(data|stringData)$'] : [];
    return execFileSync(binary('sops'), ['encrypt', '--age', recipient, ...regex, file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the history never holds a decrypted value', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('history-canary');
  const logger = new MemoryLogger();
  let dataDir: string;
  let recipient: string;
  let identity: string;
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let history: ReturnType<typeof sqliteHistory>;
  let main = '0'.repeat(40);

  const app = (secret: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'plumbline.yaml': `apps:\n  - name: web\n    path: apps/web\n    target: test\n    namespace: ${namespace}\n    selfHeal: true\n`,
    'apps/web/kustomization.yaml': 'resources: [namespace.yaml, db.sops.yaml, settings.yaml]\n',
    'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
    'apps/web/db.sops.yaml': sopsEncrypt(
      'db.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${secret}\n`,
      recipient,
    ),
    'apps/web/settings.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    ...extra,
  });

  async function deliver(delivery: { headers: Record<string, string>; body: string }) {
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    await runtime.queue.idle();
    return response;
  }

  async function push(sha: string) {
    await deliver(
      await pushDelivery({ secret: webhookSecret, repo, branch: 'main', before: main, after: sha }),
    );
    main = sha;
  }

  beforeAll(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    dataDir = mkdtempSync(join(tmpdir(), 'plumbline-history-canary-'));
    git = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [repo]: git }, token });
    history = sqliteHistory(historyPath(dataDir));
    runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        dataDir,
        webhookSecrets: [webhookSecret],
        repositories: [{ fullName: repo, sops: { ageKeys: ['canary-age'], kmsKeys: [] } }],
        targets: [
          testTargetBinding(cluster, 'test', 'test-cluster', {
            repositories: [repo],
            namespaces: [namespace],
            clusterResources: false,
          }),
        ],
        githubApiUrl: github.url,
        githubToken: token,
        secrets: { 'test-cluster': cluster.admin.token, 'canary-age': identity },
      },
      runJob: nodeReconciler(),
      logger,
      history: history.store,
    });
  });

  afterAll(async () => {
    await runtime?.close();
    history?.database.close();
    await github?.close();
    git?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records a deploy, a plan, a failure and a heal, and the database file holds no canary', async () => {
    await push(git.commit(app(canary), 'Deploy web with its database password'));

    // A pull request rotating the password: planned (dry run), with a masked diff.
    git.setBranch('rotate', main);
    const head = git.commit(app(rotated), 'Rotate the password', 'rotate');
    github.openPullRequest(repo, { number: 1, headRef: 'rotate' });
    await deliver(
      await pullRequestDelivery(webhookSecret, repo, 'opened', { number: 1, headSha: head }),
    );

    // A deploy the API server refuses, quoting the decrypted value.
    const bad = {
      'apps/web/kustomization.yaml':
        'resources: [namespace.yaml, db.sops.yaml, settings.yaml, bad.sops.yaml]\n',
      'apps/web/bad.sops.yaml': sopsEncrypt(
        'bad.yaml',
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  nested:\n    inner: ${canary}\n`,
        recipient,
      ),
    };
    await push(git.commit(app(canary, bad), 'Add a broken ConfigMap'));
    await push(git.commit(app(canary), 'Remove it again'));

    // Drift on the Secret, healed by the sweep.
    execFileSync(binary('kubectl'), [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      namespace,
      'patch',
      'secret',
      'db',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { password: `${canary}-edited` } }),
    ]);
    await runtime.sweep();
    await runtime.queue.idle();

    const records = await history.store.list({ limit: 100 });
    const kinds = records.map((r) => `${r.kind}:${r.outcome}`);
    expect(kinds).toContain('deploy:applied');
    expect(kinds).toContain('plan:planned');
    expect(kinds).toContain('deploy:failed');
    expect(kinds).toContain('heal:healed');
    const plan = records.find((r) => r.kind === 'plan');
    expect(plan?.diff).toContain('*** (changed)');
    expect(plan?.commit).toMatchObject({ sha: head, title: 'Rotate the password' });
    const failed = records.find((r) => r.outcome === 'failed');
    expect(failed?.failure?.message).toMatch(/ConfigMap/);

    // Read the file back raw, write-ahead log included, before and after a checkpoint.
    const raw = () =>
      [historyPath(dataDir), `${historyPath(dataDir)}-wal`]
        .filter(existsSync)
        .map((file) => readFileSync(file).toString('latin1'))
        .join('\n');
    const before = raw();
    expect(before).toContain('Rotate the password');
    history.database.close();
    const after = raw();
    for (const value of [canary, rotated, `${canary}-edited`]) {
      for (const form of forms(value)) {
        expect(before).not.toContain(form);
        expect(after).not.toContain(form);
      }
    }

    // The status API serves the same records: no canary there either.
    const overview = await (await fetch(`${runtime.url}/api/v1/overview`)).text();
    const appDoc = await (
      await fetch(`${runtime.url}/api/v1/apps/${encodeURIComponent(repo)}/web`)
    ).text();
    const page = await (await fetch(`${runtime.url}/apps/${encodeURIComponent(repo)}/web`)).text();
    expect(appDoc).toContain('*** (changed)');
    for (const text of [overview, appDoc, page, JSON.stringify(logger.entries)]) {
      for (const form of forms(canary)) expect(text).not.toContain(form);
    }
  });
});
