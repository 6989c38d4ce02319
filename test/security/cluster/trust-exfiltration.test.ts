/**
 * Finding 1 (critical), end to end on `plumbline serve` with the GitHub test server and the
 * real API server: nothing a branch, a pull request or another repository writes can send a
 * cluster credential anywhere but the API server the operator bound it to. An HTTPS listener
 * plays the attacker's API server (its own CA); every test asserts it received no request at
 * all, so in particular no `Authorization`.
 *
 * On the code before this fix, the first test saw `GET /api` with `Authorization: Bearer
 * <the runtime's cluster token>` arrive at the attacker (reproduced before the fix).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { type AdminRequest, adminClient, uniqueName } from '../../env/admin.ts';
import { testTargetBinding } from '../../env/target-config.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import {
  pullRequestDelivery,
  pushDelivery,
  type WebhookDelivery,
} from '../../github-server/webhook-delivery.ts';
import { type AttackerServer, startAttackerServer } from '../attacker-server.ts';

const SECRET = 'trust-webhook-secret';
const REPO = 'acme/deploy';
const OTHER = 'acme/other';
const ZERO = '0'.repeat(40);
const CLUSTER_TOKEN_NAME = 'dev-token';

/** A YAML block scalar body of `pem`, indented by `indent` spaces. */
function block(pem: string, indent: number): string {
  return pem
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');
}

describe('credentials go only where the operator bound them (plumbline serve)', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('trust');
  const logger = new MemoryLogger();
  let attacker: AttackerServer;
  let git: TestGitRepo;
  let other: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let admin: AdminRequest;
  let main: string;

  const trusted = [
    'apps:',
    '  - name: web',
    '    path: apps/web',
    '    target: dev',
    `    namespace: ${namespace}`,
    '',
  ].join('\n');

  /** A branch's `plumbline.yaml` redefining target `dev` at the attacker, with its own CA. */
  const hostile = (extraApps: string, credentials = '      token:\n        secret: dev-token') =>
    [
      'targets:',
      '  - name: dev',
      `    server: ${attacker.url}`,
      '    ca: |',
      block(attacker.caPem, 6),
      '    credentials:',
      credentials,
      'apps:',
      extraApps,
      '',
    ].join('\n');

  const configMap = (name: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;

  async function deliver(delivery: WebhookDelivery): Promise<Response> {
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    await runtime.queue.idle();
    return response;
  }

  beforeAll(async () => {
    admin = adminClient(cluster);
    attacker = await startAttackerServer();
    git = TestGitRepo.create();
    other = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [REPO]: git, [OTHER]: other }, token: 'gh' });
    runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        webhookSecrets: [SECRET],
        repositories: [{ fullName: REPO }, { fullName: OTHER }],
        targets: [
          testTargetBinding(cluster, 'dev', CLUSTER_TOKEN_NAME, {
            repositories: [REPO],
            namespaces: [namespace],
            clusterResources: false,
          }),
          // Repository B's own cluster: were anyone else able to use it, the attacker (which
          // plays B's API server here) would see the request.
          {
            ...testTargetBinding(cluster, 'b-cluster', 'b-token', { repositories: [OTHER] }),
            server: attacker.url,
            ca: attacker.caPem,
          },
        ],
        githubApiUrl: github.url,
        githubToken: 'gh',
        secrets: { [CLUSTER_TOKEN_NAME]: cluster.admin.token, 'b-token': 'repository-b-token' },
      },
      // AWS credentials present, so an EKS presign would happen if anything asked for one.
      runJob: nodeReconciler({
        aws: { accessKeyId: 'AKIATRUSTTEST', secretAccessKey: 'trust-test-secret-key' },
      }),
      logger,
    });
    main = git.commit(
      {
        'plumbline.yaml': trusted,
        'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
        'apps/web/settings.yaml': configMap('settings'),
      },
      'trusted',
    );
    expect(
      (
        await deliver(
          await pushDelivery({
            secret: SECRET,
            repo: REPO,
            branch: 'main',
            before: ZERO,
            after: main,
          }),
        )
      ).status,
    ).toBe(202);
    expect((await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).status).toBe(
      200,
    );
  });

  afterEach(() => {
    // Nothing, ever: not a TLS handshake that got as far as a request, not one header.
    expect(attacker.requests).toEqual([]);
  });

  afterAll(async () => {
    await runtime?.close();
    await github?.close();
    await attacker?.close();
    git?.remove();
    other?.remove();
  });

  it('a push to a branch that redefines target dev and adds an app tracking it deploys nothing and sends nothing', async () => {
    const evil = git.commit(
      {
        'plumbline.yaml': hostile(
          `  - name: steal\n    path: apps/web\n    target: dev\n    namespace: steal\n    branch: evil`,
        ),
      },
      'evil',
      'evil',
    );
    const response = await deliver(
      await pushDelivery({ secret: SECRET, repo: REPO, branch: 'evil', before: ZERO, after: evil }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'ignored',
      reason: 'no app of the trusted configuration (plumbline.yaml on main) tracks branch evil',
    });
    expect((await admin('GET', '/api/v1/namespaces/steal')).status).toBe(404);
  });

  it('a same-repository pull request with such a plumbline.yaml is planned only as trusted, on the bound cluster', async () => {
    const head = git.commit(
      {
        'plumbline.yaml': hostile(
          `  - name: web\n    path: apps/web\n    target: dev\n    namespace: kube-system\n  - name: steal\n    path: apps/web\n    target: dev\n    namespace: kube-system`,
        ),
        'apps/web/settings.yaml': configMap('settings-changed'),
      },
      'pull request',
      'feature',
    );
    // The push of the pull request's branch, then the pull request itself.
    await deliver(
      await pushDelivery({
        secret: SECRET,
        repo: REPO,
        branch: 'feature',
        before: ZERO,
        after: head,
      }),
    );
    github.openPullRequest(REPO, { number: 5, headRef: 'feature' });
    const response = await deliver(
      await pullRequestDelivery(SECRET, REPO, 'opened', { number: 5, headSha: head }),
    );
    expect(await response.json()).toEqual({ status: 'accepted', pullRequest: 5 });
    const body = github.records(REPO).comments.find((c) => c.number === 5)?.body ?? '';
    // The trusted app, in its trusted namespace, dry run against the bound cluster.
    expect(body).toContain(`web → dev/${namespace}`);
    expect(body).toContain('settings-changed');
    expect(body).not.toContain('steal');
    expect(body).not.toContain('kube-system');
    expect(body).toContain('takes effect once merged');
    expect(
      (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings-changed`)).status,
    ).toBe(404);
  });

  it('an EKS target a branch names gets no presigned token', async () => {
    const evil = git.commit(
      {
        'plumbline.yaml': hostile(
          '  - name: steal\n    path: apps/web\n    target: dev\n    namespace: steal\n    branch: eks',
          '      eks:\n        cluster: victim-production\n        region: eu-west-1',
        ),
      },
      'eks',
      'eks',
    );
    const response = await deliver(
      await pushDelivery({ secret: SECRET, repo: REPO, branch: 'eks', before: ZERO, after: evil }),
    );
    expect(await response.json()).toMatchObject({ status: 'ignored' });
    expect(logger.entries.some((e) => JSON.stringify(e).includes('k8s-aws-v1'))).toBe(false);
  });

  it("repository A cannot name repository B's binding or token, even from its trusted branch", async () => {
    const before = git.head();
    const aMain = git.commit(
      {
        'plumbline.yaml': `${trusted}  - name: borrow\n    path: apps/web\n    target: b-cluster\n    namespace: ${namespace}\n`,
      },
      'borrow',
    );
    const response = await deliver(
      await pushDelivery({ secret: SECRET, repo: REPO, branch: 'main', before, after: aMain }),
    );
    expect(await response.json()).toMatchObject({ status: 'accepted', apps: ['web', 'borrow'] });
    const refused = logger.entries.find(
      (e) => e.message === 'reconcile refused' && e.fields.app === 'borrow',
    );
    expect(String(refused?.fields.error)).toContain(
      "target 'b-cluster' does not serve repository acme/deploy (runtime setting targets[b-cluster].repositories)",
    );
    // Said on the commit too, where the app's authors look.
    expect(
      github
        .records(REPO)
        .statuses.filter((s) => s.context === 'plumbline/borrow' && s.sha === aMain)
        .map((s) => s.state),
    ).toEqual(['failure']);
    // Naming B's secret from a targets section of A's trusted file is refused outright.
    const named = git.commit(
      {
        'plumbline.yaml': hostile(
          '  - name: web\n    path: apps/web\n    target: dev\n    namespace: x',
          '      token:\n        secret: b-token',
        ),
      },
      'name the other token',
    );
    const second = await deliver(
      await pushDelivery({
        secret: SECRET,
        repo: REPO,
        branch: 'main',
        before: aMain,
        after: named,
      }),
    );
    expect(await second.json()).toEqual({
      status: 'ignored',
      reason: 'the trusted plumbline.yaml is invalid',
    });
    expect(JSON.stringify(logger.entries)).not.toContain('repository-b-token');
    expect(JSON.stringify(logger.entries)).not.toContain(cluster.admin.token);
    git.commit({ 'plumbline.yaml': trusted }, 'restore');
  });

  it("refuses, whole, a trusted app that puts an object outside its binding's namespaces", async () => {
    const before = git.head();
    const reach = git.commit(
      {
        'apps/web/settings.yaml': configMap('settings-moved'),
        'apps/web/reach.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: reach\n  namespace: kube-system\n',
      },
      'reach into kube-system',
    );
    await deliver(
      await pushDelivery({ secret: SECRET, repo: REPO, branch: 'main', before, after: reach }),
    );
    const status = github.records(REPO).statuses.at(-1);
    expect(status).toMatchObject({ sha: reach, context: 'plumbline/web', state: 'failure' });
    expect(status?.description).toContain("outside what target 'dev' allows");
    expect((await admin('GET', '/api/v1/namespaces/kube-system/configmaps/reach')).status).toBe(
      404,
    );
    expect(
      (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings-moved`)).status,
    ).toBe(404);
    git.commit(
      { 'apps/web/reach.yaml': null, 'apps/web/settings.yaml': configMap('settings') },
      'undo',
    );
  });
});
