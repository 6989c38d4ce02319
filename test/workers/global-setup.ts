/**
 * Node side of the `workers` project: a real kube-apiserver, the GitHub test server over a
 * real git repository holding `plumbline.yaml`, and signed deliveries for the tests in workerd
 * (which cannot run Node helpers). Everything is handed over with `provide('workers')`.
 */

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type ControlPlane, startControlPlane } from '../env/control-plane.ts';
import { sshKeygen, startSshd, type TestSshd } from '../env/sshd.ts';
import { TestGitRepo } from '../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../github-server/webhook-delivery.ts';
import { WORKERS_TEST, type WorkersFixture } from './fixtures.ts';

const ZERO_SHA = '0'.repeat(40);

/** The repository's configuration: apps only, naming the operator's bindings. */
function plumblineYaml(namespace: string): string {
  return `apps:
  - name: web
    path: apps/web
    target: staging
    namespace: ${namespace}
  - name: flaky
    path: apps/web
    target: down
    namespace: ${namespace}
  - name: private
    path: apps/web
    target: onprem
    namespace: ${namespace}
`;
}

const manifests = (namespace: string) => ({
  'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
  'apps/web/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${namespace}\ndata:\n  color: blue\n`,
});

let controlPlane: ControlPlane | undefined;
let sshd: TestSshd | undefined;
let sshKeys: string | undefined;
let github: GitHubServer | undefined;
let git: TestGitRepo | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  controlPlane = await startControlPlane();
  const namespace = `workers-${Date.now().toString(36)}`;
  git = TestGitRepo.create();
  const head = git.commit({
    'plumbline.yaml': plumblineYaml(namespace),
    ...manifests(namespace),
  });
  // A branch (and a same-repository pull request from it) whose plumbline.yaml redefines the
  // target `staging` at the attacker and adds an app that tracks the branch.
  const evil = git.commit(
    {
      'plumbline.yaml': `targets:
  - name: staging
    server: https://${WORKERS_TEST.attackerHost}
    credentials:
      token:
        secret: staging-token
apps:
  - name: web
    path: apps/web
    target: staging
    namespace: kube-system
  - name: steal
    path: apps/web
    target: staging
    namespace: ${namespace}
    branch: evil
`,
    },
    'evil',
    'evil',
  );
  github = await startGitHubServer({
    repos: { [WORKERS_TEST.repo]: git },
    token: WORKERS_TEST.githubToken,
  });
  const push = await pushDelivery({
    secret: WORKERS_TEST.webhookSecret,
    repo: WORKERS_TEST.repo,
    branch: 'main',
    before: ZERO_SHA,
    after: head,
  });
  // A delivery whose head did not move and lists no commit: no file reaches any app.
  const pushUnchanged = await pushDelivery({
    secret: WORKERS_TEST.webhookSecret,
    repo: WORKERS_TEST.repo,
    branch: 'main',
    before: head,
    after: head,
    commits: [],
  });
  const pushOtherRepo = await pushDelivery({
    secret: WORKERS_TEST.webhookSecret,
    repo: 'someone/else',
    branch: 'main',
    before: ZERO_SHA,
    after: head,
  });
  const pushEvil = await pushDelivery({
    secret: WORKERS_TEST.webhookSecret,
    repo: WORKERS_TEST.repo,
    branch: 'evil',
    before: ZERO_SHA,
    after: evil,
  });
  github.openPullRequest(WORKERS_TEST.repo, { number: 9, headRef: 'evil' });
  const pullRequestEvil = await pullRequestDelivery(
    WORKERS_TEST.webhookSecret,
    WORKERS_TEST.repo,
    'opened',
    { number: 9, headSha: evil, headRef: 'evil' },
  );
  const pullRequestOpened = await pullRequestDelivery(
    WORKERS_TEST.webhookSecret,
    WORKERS_TEST.repo,
    'opened',
  );
  const fixture: WorkersFixture = {
    githubUrl: github.url,
    githubToken: WORKERS_TEST.githubToken,
    webhookSecret: WORKERS_TEST.webhookSecret,
    repo: WORKERS_TEST.repo,
    head,
    namespace,
    tunnelHost: WORKERS_TEST.tunnelHost,
    downHost: WORKERS_TEST.downHost,
    access: { ...WORKERS_TEST.access },
    clusterToken: controlPlane.cluster.admin.token,
    caPem: controlPlane.cluster.caPem,
    deliveries: {
      push: { headers: push.headers, body: push.body },
      pushUnchanged: { headers: pushUnchanged.headers, body: pushUnchanged.body },
      pushOtherRepo: { headers: pushOtherRepo.headers, body: pushOtherRepo.body },
      pullRequestOpened: { headers: pullRequestOpened.headers, body: pullRequestOpened.body },
      pushEvil: { headers: pushEvil.headers, body: pushEvil.body },
      pullRequestEvil: { headers: pullRequestEvil.headers, body: pullRequestEvil.body },
    },
    attackerHost: WORKERS_TEST.attackerHost,
  };
  project.provide('workers', fixture);
  // A real sshd for the SSH client over connect() (the CA's private key crosses to workerd).
  sshKeys = mkdtempSync(join(tmpdir(), 'plumbline-workers-ssh-'));
  const [caFile, caLine] = sshKeygen(sshKeys, 'ca');
  sshd = await startSshd({ caLines: [caLine] });
  project.provide('workersSsh', {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    hostKey: sshd.hostKey,
    caPrivateKey: readFileSync(caFile, 'utf8'),
    destination: join(sshKeys, 'dest'),
  });
  // The Cloudflare Access team in front of the status page: the edge publishes its public key
  // at the team's certs URL; tests in workerd sign assertions with the private one.
  const accessKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  project.provide('workersAccessTeam', {
    teamDomain: WORKERS_TEST.accessTeamDomain,
    audience: WORKERS_TEST.accessAudience,
    kid: 'workers-test-key',
    publicJwk: accessKeys.publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
    privateJwk: accessKeys.privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
  });
  // The edge (Access + Tunnel) in the config reaches the API server through this.
  project.provide('workersOrigin', {
    server: controlPlane.cluster.server,
    caPem: controlPlane.cluster.caPem,
  });
  console.log(
    `[workers] kube-apiserver ${controlPlane.cluster.server} and GitHub ${github.url} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return async () => {
    await sshd?.stop();
    if (sshKeys) rmSync(sshKeys, { recursive: true, force: true });
    await github?.close();
    git?.remove();
    await controlPlane?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    workersOrigin: { server: string; caPem: string };
    /** The Access team of the status page: its signing key pair (JWK) and the app's audience. */
    workersAccessTeam: {
      teamDomain: string;
      audience: string;
      kid: string;
      publicJwk: Record<string, unknown>;
      privateJwk: Record<string, unknown>;
    };
    workersSsh: {
      host: string;
      port: number;
      user: string;
      hostKey: string;
      caPrivateKey: string;
      /** A directory on this machine a files app may deploy into over SSH. */
      destination: string;
    };
  }
}
