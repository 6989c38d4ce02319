/**
 * Issue 14's end-to-end paths for a `files` app, against a real OpenSSH server and a real
 * nginx (both from Debian's packages) and the GitHub test server: a push deploys an nginx
 * config over SSH with a minted certificate and reloads nginx, so the served page changes; a
 * pull request's plan shows the file diff (the SOPS secret masked); a config failing `nginx -t`
 * is refused and the old one keeps serving; a hand edit is reported by the sweep as a drift
 * issue and healed; a file removed from Git is pruned; a changed host key is refused.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { type HostTarget, parseHostBindings } from '../../../lib/config/host-binding.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { PLAN_MARKER } from '../../../lib/report/markdown.ts';
import { type NginxPrefix, nginxPrefix } from '../../env/nginx.ts';
import { sshKeygen, startSshd, type TestSshd } from '../../env/sshd.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../../github-server/webhook-delivery.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/secrets/', import.meta.url));
const secret = 'e2e-hosts-secret';
const repo = 'acme/web';

describe('a files app deployed to nginx over SSH', () => {
  const logger = new MemoryLogger();
  let keys: string;
  let sshd: TestSshd;
  let nginx: NginxPrefix;
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let caPrivate: string;
  let bindings: HostTarget[];

  const plumblineYaml = () =>
    [
      'apps:',
      '  - name: nginx',
      '    kind: files',
      '    path: nginx',
      '    target: web-1',
      `    destination: ${nginx.conf}`,
      `    validate: ${nginx.validateCommand}`,
      `    reload: ${nginx.reloadCommand}`,
      '    adopt: true',
      '    selfHeal: true',
      '',
    ].join('\n');
  const files = (body: string, extra = true) => ({
    'plumbline.yaml': plumblineYaml(),
    'nginx/nginx.conf': nginx.mainConfig(),
    'nginx/conf.d/site.conf': nginx.siteConfig(body),
    ...(extra ? { 'nginx/conf.d/extra.conf': '# extra settings\n' } : {}),
    'nginx/secrets/app.env': readFileSync(join(fixtures, 'app.sops.env'), 'utf8'),
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
  const push = async (before: string, after: string) =>
    deliver(await pushDelivery({ secret, repo, branch: 'main', before, after }));
  const records = () => github.records(repo);
  const live = (path: string) => readFileSync(join(nginx.conf, path), 'utf8');

  async function startRuntime(hostBindings: HostTarget[]) {
    await runtime?.close();
    runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        webhookSecrets: [secret],
        // The repository may open its SOPS files with the test age key, and nothing else.
        repositories: [{ fullName: repo, sops: { ageKeys: ['age-test'], kmsKeys: [] } }],
        targets: hostBindings,
        githubApiUrl: github.url,
        githubToken: 'gh-hosts-token',
        secrets: {
          'ssh-ca': caPrivate,
          'age-test': readFileSync(join(fixtures, 'age-keys.txt'), 'utf8'),
        },
      },
      runJob: nodeReconciler(),
      logger,
    });
  }

  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'plumbline-e2e-keys-'));
    const [caFile, caLine] = sshKeygen(keys, 'ca');
    caPrivate = readFileSync(caFile, 'utf8');
    sshd = await startSshd({ caLines: [caLine] });
    nginx = await nginxPrefix();
    // The server as it was before Plumbline: nginx serving a hand-made configuration.
    mkdirSync(join(nginx.conf, 'conf.d'), { recursive: true });
    writeFileSync(join(nginx.conf, 'nginx.conf'), nginx.mainConfig());
    writeFileSync(join(nginx.conf, 'conf.d', 'site.conf'), nginx.siteConfig('version 0'));
    writeFileSync(join(nginx.conf, 'mime.types.local'), '# not Plumbline’s\n');
    await nginx.start();
    bindings = parseHostBindings(
      [
        {
          kind: 'ssh',
          name: 'web-1',
          host: sshd.host,
          port: sshd.port,
          hostKeys: [sshd.hostKey],
          user: sshd.user,
          credentials: { certificate: { caSecret: 'ssh-ca', ttlSeconds: 120 } },
          repositories: [repo],
          paths: [nginx.prefix],
        },
      ],
      'test settings',
    );
    git = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [repo]: git }, token: 'gh-hosts-token' });
    await startRuntime(bindings);
  });

  afterAll(async () => {
    await runtime?.close();
    await github?.close();
    git?.remove();
    await nginx?.stop();
    await sshd?.stop();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  let head: string;

  it('deploys the first push over SSH, reloads nginx and serves the new page', async () => {
    expect(await nginx.page('version 0')).toBe('version 0');
    head = git.commit(files('version 1'), 'first');
    expect((await push('0'.repeat(40), head)).status).toBe(202);
    expect(await nginx.page('version 1')).toBe('version 1');
    const statuses = records()
      .deployments.at(-1)
      ?.statuses.map((s) => s.state);
    expect(statuses).toEqual(['in_progress', 'success']);
    // The secret is decrypted in memory and written 0600; files Plumbline does not own stay.
    expect(live('secrets/app.env')).toBe(readFileSync(join(fixtures, 'app.decrypted.env'), 'utf8'));
    expect(statSync(join(nginx.conf, 'secrets/app.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(nginx.conf, 'conf.d/site.conf')).mode & 0o777).toBe(0o644);
    expect(live('mime.types.local')).toBe('# not Plumbline’s\n');
    const inventory = JSON.parse(live('.plumbline/nginx/inventory.json'));
    expect(inventory).toMatchObject({ repo, app: 'nginx', revision: head });
    expect(Object.keys(inventory.files).sort()).toEqual([
      'conf.d/extra.conf',
      'conf.d/site.conf',
      'nginx.conf',
      'secrets/app.env',
    ]);
    // Nothing is left behind: no staging, no backup, no lock.
    expect(existsSync(join(nginx.conf, '.plumbline/nginx/lock'))).toBe(false);
    // sshd saw a certificate with Plumbline's key id, for the binding's user only.
    expect(sshd.log()).toMatch(
      /Accepted publickey for \S+ .*ID plumbline acme\/web nginx via web-1/,
    );
    const roundTrips = logger.entries.filter((e) => e.message === 'host round trips');
    expect(roundTrips.at(-1)?.fields).toMatchObject({ step: 'deploy', hostConnections: 1 });
  });

  it('plans a pull request with the file diff, the secret masked', async () => {
    const changed = git.commit(files('version 2'), 'site v2', 'change-site');
    github.openPullRequest(repo, { number: 7, headRef: 'change-site' });
    await deliver(
      await pullRequestDelivery(secret, repo, 'opened', { number: 7, headSha: changed }),
    );
    const comment = records().comments.find((c) => c.number === 7 && c.body.includes(PLAN_MARKER));
    expect(comment?.body).toContain('nginx → web-1');
    expect(comment?.body).toContain(
      '-  location / { default_type text/plain; return 200 "version 1\\n"; }',
    );
    expect(comment?.body).toContain(
      '+  location / { default_type text/plain; return 200 "version 2\\n"; }',
    );
    expect(comment?.body).toContain('1 to update');
    expect(comment?.body).not.toContain('hunter2');
    // A plan never changes the host.
    expect(await nginx.page('version 1')).toBe('version 1');
  });

  it('refuses a config that fails nginx -t and keeps serving the old one', async () => {
    const before = live('conf.d/site.conf');
    const bad = git.commit(
      { ...files('version 1'), 'nginx/conf.d/site.conf': 'server { listen oops; }\n' },
      'broken',
    );
    await push(head, bad);
    expect(await nginx.page('version 1')).toBe('version 1');
    expect(live('conf.d/site.conf')).toBe(before);
    const failure = records().deployments.at(-1)?.statuses.at(-1);
    expect(failure?.state).toBe('failure');
    expect(failure?.description).toContain('host web-1');
    const error = logger.entries.filter((e) => e.message === 'reconcile failed').at(-1);
    expect(String(error?.fields?.error)).toMatch(
      /app nginx: validate refused the new files; the previous files are in place\n.*"listen" directive .*test failed/s,
    );
    head = git.commit(files('version 2'), 'fixed');
    await push(bad, head);
    expect(await nginx.page('version 2')).toBe('version 2');
  });

  it('reports a hand edit on the host as a drift issue and heals it', async () => {
    writeFileSync(join(nginx.conf, 'conf.d/site.conf'), nginx.siteConfig('hand edit'));
    expect(await runtime.sweep()).toBe(1);
    await runtime.queue.idle();
    const issue = records().issues.find((i) => i.labels.includes('plumbline-drift'));
    expect(issue?.state).toBe('open');
    expect(issue?.body).toMatch(
      /\| `conf.d\/site.conf` \| content changed \| \d{4}-\d\d-\d\dT[\d:]+Z \| `\S+` \| `0644` \|/,
    );
    expect(issue?.body).toContain(
      '-  location / { default_type text/plain; return 200 "hand edit\\n"; }',
    );
    expect(issue?.body).toContain('**Self-healed:**');
    expect(live('conf.d/site.conf')).toBe(nginx.siteConfig('version 2'));
    expect(await nginx.page('version 2')).toBe('version 2');
    await runtime.sweep();
    await runtime.queue.idle();
    expect(records().issues.find((i) => i.number === issue?.number)?.state).toBe('closed');
    const sweep = logger.entries
      .filter((e) => e.message === 'host round trips' && e.fields?.step === 'sweep')
      .at(-1);
    expect(sweep?.fields).toMatchObject({ hostConnections: 1, hostCommands: 1 });
  });

  it('prunes a file removed from Git and leaves files it does not own', async () => {
    const removed = git.commit(
      { ...files('version 2', false), 'nginx/conf.d/extra.conf': null },
      'drop extra',
    );
    await push(head, removed);
    head = removed;
    expect(existsSync(join(nginx.conf, 'conf.d/extra.conf'))).toBe(false);
    expect(existsSync(join(nginx.conf, 'conf.d/site.conf'))).toBe(true);
    expect(live('mime.types.local')).toBe('# not Plumbline’s\n');
    const inventory = JSON.parse(live('.plumbline/nginx/inventory.json'));
    expect(Object.keys(inventory.files)).not.toContain('conf.d/extra.conf');
  });

  it('refuses a host whose key changed, and changes nothing', async () => {
    const other = sshKeygen(keys, 'other-host')[1];
    const [binding] = bindings;
    if (binding?.kind !== 'ssh') throw new Error('the test binding is an ssh one');
    await startRuntime([{ ...binding, hostKeys: [other] }]);
    const next = git.commit(files('version 3', false), 'v3');
    await push(head, next);
    expect(await nginx.page('version 2')).toBe('version 2');
    expect(records().deployments.at(-1)?.statuses.at(-1)?.state).toBe('failure');
    const error = logger.entries.filter((e) => e.message === 'reconcile failed').at(-1);
    expect(String(error?.fields?.error)).toContain('host web-1 (ssh ');
    expect(String(error?.fields?.error)).toContain(
      'refused: the server presented a host key that is not pinned',
    );
    await startRuntime(bindings);
    await push(head, next);
    head = next;
    expect(await nginx.page('version 3')).toBe('version 3');
  });
});
