import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from '../../../functions/cli/serve.ts';
import type { CliIo } from '../../../functions/cli.ts';
import type { Job } from '../../../lib/jobs/job.ts';
import { resolveReconcileJob } from '../../../lib/jobs/resolve-job.ts';
import { readText } from '../../../lib/source/file-tree.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pushDelivery } from '../../github-server/webhook-delivery.ts';

const TOKEN = 'ghs_serve_test_token';
const SECRET = 'serve-test-secret';
let git: TestGitRepo;
let github: GitHubServer;

const plumblineYaml = `apps:
  - name: web
    path: apps/web
    target: staging
    namespace: web
`;

beforeAll(async () => {
  git = TestGitRepo.create();
  git.commit({ 'plumbline.yaml': plumblineYaml, 'apps/web/cm.yaml': 'kind: ConfigMap\n' });
  github = await startGitHubServer({ repos: { 'acme/deploy': git }, token: TOKEN });
});

afterAll(async () => {
  await github?.close();
  git?.remove();
});

/** A CLI io capturing output, and a promise of the URL once the server logs it. */
function capture() {
  const lines: string[] = [];
  let announce: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const io: CliIo = {
    isTTY: false,
    stderr: (text) => lines.push(text),
    stdout: (text) => {
      lines.push(text);
      const match = /listening on (http:\/\/[^\s"]+)/.exec(text);
      if (match) announce(match[1] as string);
    },
  };
  return { io, lines, listening };
}

describe('plumbline serve', () => {
  it('takes a signed push from HTTP to runJob, reading the repository through GitHub', async () => {
    const { io, lines, listening } = capture();
    const stop = new AbortController();
    const jobs: Job[] = [];
    let resolved: Awaited<ReturnType<typeof resolveReconcileJob>> | undefined;
    let clusterToken: string | undefined;
    let jobSeen: () => void = () => {};
    const seen = new Promise<void>((resolve) => {
      jobSeen = resolve;
    });
    const exit = serveCommand(['--port', '0'], io, {
      signal: stop.signal,
      env: {
        PLUMBLINE_WEBHOOK_SECRETS: `${SECRET},old-secret`,
        PLUMBLINE_REPOSITORIES: 'acme/deploy',
        GITHUB_TOKEN: TOKEN,
        PLUMBLINE_GITHUB_API_URL: github.url,
        PLUMBLINE_SECRET_STAGING_TOKEN: 'cluster-token-value',
        PLUMBLINE_TARGETS: JSON.stringify([
          {
            kind: 'kubernetes',
            name: 'staging',
            server: 'https://127.0.0.1:6443',
            credentials: { token: { secret: 'staging-token' } },
            repositories: ['acme/deploy'],
            namespaces: ['web'],
          },
        ]),
      },
      runJob: async (job, context) => {
        jobs.push(job);
        if (job.kind !== 'reconcile') throw new Error(`unexpected ${job.kind} job`);
        // What the reconciler will do first: re-read the head through the runtime's ports.
        resolved = await resolveReconcileJob(job, context);
        clusterToken = await context.secrets.get('staging-token');
        jobSeen();
      },
    });
    const url = await listening;

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', queue: { running: 0, waiting: 0 } });

    const head = git.head();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before: '0'.repeat(40),
      after: head,
    });
    const response = await fetch(`${url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'accepted',
      apps: ['web'],
      reason: 'new branch: no previous commit to compare with',
    });
    await seen;
    expect(jobs).toEqual([
      {
        kind: 'reconcile',
        repo: 'acme/deploy',
        app: 'web',
        branch: 'main',
        deliveryId: delivery.deliveryId,
      },
    ]);
    // The webhook and the job each asked which branch is trusted and read its head.
    expect(github.count('GET', '/repos/acme/deploy')).toBe(2);
    expect(github.count('GET', '/repos/acme/deploy/branches/main')).toBe(2);
    // The webhook read the trusted plumbline.yaml with one small request; only the job fetched
    // the archive.
    expect(github.count('GET', '/repos/acme/deploy/contents/plumbline.yaml')).toBe(1);
    expect(github.count('GET', `/repos/acme/deploy/tarball/${head}`)).toBe(1);
    if (resolved?.kind !== 'ready')
      throw new Error(`job not resolved: ${JSON.stringify(resolved)}`);
    expect(resolved.sha).toBe(head);
    expect(resolved.app).toMatchObject({ name: 'web', namespace: 'web', path: 'apps/web' });
    expect(await readText(resolved.tree, 'apps/web/cm.yaml')).toBe('kind: ConfigMap\n');
    expect(resolved.target).toMatchObject({
      name: 'staging',
      server: 'https://127.0.0.1:6443',
      credentials: { kind: 'token', secret: 'staging-token' },
    });
    expect(clusterToken).toBe('cluster-token-value');
    expect(github.requests.every((r) => r.authorized || r.path.startsWith('/codeload/'))).toBe(
      true,
    );

    stop.abort();
    expect(await exit).toBe(0);
    const output = lines.join('');
    expect(output).toContain('"message":"stopped"');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain('cluster-token-value');
    expect(output).toContain('"namedCredentials":["staging-token"]');
    expect(output).toContain('"targets":["staging"]');
  });

  it('starts with embedded defaults and answers /healthz', async () => {
    const { io, listening } = capture();
    const stop = new AbortController();
    // Only the port and where it writes are chosen; everything else is the embedded default.
    const home = mkdtempSync(join(tmpdir(), 'plumbline-serve-'));
    const exit = serveCommand([], io, {
      signal: stop.signal,
      env: {
        PORT: '0',
        HOME: home,
        PLUMBLINE_DATA_DIR: join(home, 'data'),
        PLUMBLINE_CACHE_DIR: join(home, 'cache'),
      },
    });
    const url = await listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    stop.abort();
    expect(await exit).toBe(0);
    rmSync(home, { recursive: true, force: true });
  });

  it('runs as a process: `plumbline serve` answers /healthz and stops cleanly on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../../../functions/cli.ts', import.meta.url));
    // The project's Node 24 (from npm), which runs .ts files; the system node may be older.
    const node = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
    const home = mkdtempSync(join(tmpdir(), 'plumbline-serve-'));
    const child = spawn(node, [cli, 'serve', '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        PLUMBLINE_DATA_DIR: join(home, 'data'),
        PLUMBLINE_CACHE_DIR: join(home, 'cache'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        const match = /listening on (http:\/\/[^\s"]+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Nothing configured: the embedded default, logging short lines for a person.
    expect(stdout).toMatch(/^\d{2}:\d{2}:\d{2} stopped$/m);
    rmSync(home, { recursive: true, force: true });
  });
});
