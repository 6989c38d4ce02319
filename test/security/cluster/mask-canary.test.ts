/**
 * Issue 11's masking invariant, end to end: a unique canary secret, encrypted by the real sops
 * in real SOPS files, travels everywhere a manifest can take it (Secret data, a ConfigMap
 * generated from a `.env`, a label, an annotation and another object through `replacements`,
 * an app whose namespace comes from `plumbline.yaml`), through every path Plumbline has: push
 * deploys (deployment and commit statuses), pull request plans (sticky comment, check run,
 * annotations), a rotation (the old generated ConfigMap pruned), an invalid value the real API
 * server echoes, drift issues and self-heal, and the CLI's `render`, `plan`, `apply` and `sweep`
 * (stdout, stderr, verbose logs). Every byte sent to GitHub goes through a recording proxy;
 * the runtime's logger is captured. Neither canary nor any encoded form of it appears anywhere,
 * while masked diffs still show that a value changed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sweepCommand } from '../../../functions/cli/sweep.ts';
import { runCli } from '../../../functions/cli.ts';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { type AdminRequest, adminClient, uniqueName } from '../../env/admin.ts';
import { captureIo } from '../../env/cli-io.ts';
import { binary } from '../../env/paths.ts';
import { testTargetBinding, testTargetSetting } from '../../env/target-config.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pullRequestDelivery, pushDelivery } from '../../github-server/webhook-delivery.ts';

const webhookSecret = 'mask-canary-webhook';
const repo = 'acme/canary';
const token = 'gh-canary-token';
const ZERO = '0'.repeat(40);
const tag = () => Math.random().toString(36).slice(2, 10);
// Label-safe (a replacement copies it into a label), unique to this run.
const canary = `cnry${tag()}${tag()}`;
const rotated = `rotd${tag()}${tag()}`;

/** Every form a value could take in output: itself, base64, and inside base64 of a file. */
function forms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64')];
}

/**
 * `plaintext` encrypted by the real sops for `recipient`, in the format of `name`'s extension;
 * manifests (`*.yaml` but a kustomization) only in `data` and `stringData`, as usual.
 */
function sopsEncrypt(name: string, plaintext: string, recipient: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-canary-sops-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, plaintext);
    const manifest = name.endsWith('.yaml') && name !== 'kustomization.yaml';
    const regex = manifest ? ['--encrypted-regex', '^(data|stringData)$'] : [];
    return execFileSync(binary('sops'), ['encrypt', '--age', recipient, ...regex, file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a canary secret, wherever it travels, through every output', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('mask-canary');
  const logger = new MemoryLogger();
  /** Every request body Plumbline sent to GitHub, in order. */
  const sentToGitHub: string[] = [];
  /** Everything the CLI printed. */
  const printed: string[] = [];
  let identity: string;
  let recipient: string;
  let git: TestGitRepo;
  let github: GitHubServer;
  let proxy: ReturnType<typeof serve>;
  let proxyUrl: string;
  let runtime: NodeRuntime;
  let admin: AdminRequest;
  let main = ZERO;

  // The operator binds the target and gives the repository its age identity.
  const scope = { repositories: [repo], namespaces: [namespace], clusterResources: false };
  const plumblineYaml = () =>
    [
      'apps:',
      '  - name: web',
      '    path: apps/web',
      '    target: test',
      // The manifests name no namespace: it comes from here (finding 3a).
      `    namespace: ${namespace}`,
      '    selfHeal: true',
      '',
    ].join('\n');

  /** The app with `secret` in a SOPS Secret and a SOPS `.env`, copied by replacements. */
  const app = (secret: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'plumbline.yaml': plumblineYaml(),
    'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
    'apps/web/kustomization.yaml': [
      'resources: [namespace.yaml, db.sops.yaml, app.yaml]',
      'configMapGenerator:',
      '  - name: app-env',
      '    envs: [app.sops.env]',
      'replacements:',
      '  - source: { kind: Secret, name: db, fieldPath: stringData.password }',
      '    targets:',
      '      - select: { kind: Deployment, name: web }',
      '        fieldPaths:',
      '          - metadata.annotations.copied',
      '          - metadata.labels.copied',
      '        options: { create: true }',
      '      - select: { kind: ConfigMap, name: settings }',
      '        fieldPaths: [data.copied]',
      '        options: { create: true }',
      '',
    ].join('\n'),
    'apps/web/db.sops.yaml': sopsEncrypt(
      'db.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${secret}\n  user: app\n`,
      recipient,
    ),
    'apps/web/app.sops.env': sopsEncrypt(
      'app.env',
      `DB_URL=postgres://app:${secret}@db:5432/app\nLOG_LEVEL=info\n`,
      recipient,
    ),
    'apps/web/app.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: settings',
      'data:',
      '  color: blue',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: 1',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      containers: [{name: web, image: "nginx:1.27"}]',
      '',
    ].join('\n'),
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
    const response = await deliver(
      await pushDelivery({ secret: webhookSecret, repo, branch: 'main', before: main, after: sha }),
    );
    main = sha;
    return response;
  }

  async function pullRequest(number: number, branch: string, files: Record<string, string>) {
    git.setBranch(branch, main);
    const head = git.commit(files, branch, branch);
    github.openPullRequest(repo, { number, headRef: branch });
    await deliver(
      await pullRequestDelivery(webhookSecret, repo, 'opened', { number, headSha: head }),
    );
    return head;
  }

  /** Everything Plumbline output so far, as one text. */
  function everything(): string {
    return [
      ...sentToGitHub,
      JSON.stringify(github.records(repo)),
      JSON.stringify(logger.entries),
      ...printed,
    ].join('\n');
  }

  function expectNoCanary(): void {
    const text = everything();
    for (const value of [canary, rotated]) {
      for (const form of forms(value)) expect(text).not.toContain(form);
    }
  }

  const kubectl = (args: string[]) =>
    execFileSync(
      binary('kubectl'),
      ['--kubeconfig', cluster.kubeconfig, '-n', namespace, ...args],
      {
        encoding: 'utf8',
      },
    );

  const comment = (number: number) =>
    github.records(repo).comments.find((c) => c.number === number)?.body ?? '';

  beforeAll(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    admin = adminClient(cluster);
    git = TestGitRepo.create();
    github = await startGitHubServer({ repos: { [repo]: git }, token });
    // Every byte Plumbline sends to GitHub passes here and is kept.
    proxy = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const server = serve(
        {
          hostname: '127.0.0.1',
          port: 0,
          fetch: async (request) => {
            const url = new URL(request.url);
            const body = ['GET', 'HEAD'].includes(request.method)
              ? undefined
              : await request.text();
            sentToGitHub.push(`${request.method} ${url.pathname}${url.search} ${body ?? ''}`);
            const headers = new Headers(request.headers);
            headers.delete('host');
            headers.delete('content-length');
            const answer = await fetch(`${github.url}${url.pathname}${url.search}`, {
              method: request.method,
              headers,
              ...(body === undefined ? {} : { body }),
              redirect: 'manual',
            });
            const out = new Headers(answer.headers);
            out.delete('content-encoding');
            out.delete('content-length');
            return new Response(await answer.arrayBuffer(), {
              status: answer.status,
              headers: out,
            });
          },
        },
        () => resolve(server),
      );
    });
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        webhookSecrets: [webhookSecret],
        repositories: [{ fullName: repo, sops: { ageKeys: ['canary-age'], kmsKeys: [] } }],
        targets: [testTargetBinding(cluster, 'test', 'test-cluster', scope)],
        githubApiUrl: proxyUrl,
        githubToken: token,
        secrets: { 'test-cluster': cluster.admin.token, 'canary-age': identity },
      },
      runJob: nodeReconciler(),
      logger,
    });
  });

  afterAll(async () => {
    await runtime?.close();
    await new Promise((resolve) => proxy?.close(resolve));
    await github?.close();
    git?.remove();
  });

  it('deploys a push: deployment and commit statuses, logs, no canary', async () => {
    const sha = git.commit(app(canary), 'first');
    expect((await push(sha)).status).toBe(202);
    // The canary really is deployed: the test would prove nothing otherwise.
    const secret = await admin('GET', `/api/v1/namespaces/${namespace}/secrets/db`);
    const data = (secret.body as { data: Record<string, string> }).data;
    expect(Buffer.from(data.password ?? '', 'base64').toString()).toBe(canary);
    expect(kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.labels.copied}'])).toBe(
      canary,
    );
    const deployment = github.records(repo).deployments.at(-1);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(github.records(repo).statuses.at(-1)).toMatchObject({ state: 'success' });
    expectNoCanary();
  });

  it('plans a rotation in a comment and check run that show what changed, not to what', async () => {
    await pullRequest(1, 'rotate', app(rotated));
    const body = comment(1);
    expect(body).toContain('## Plumbline plan');
    // The Secret and the copies: changed, masked on both sides.
    expect(body).toContain('*** (changed)');
    expect(body).toMatch(/-\s+password: "\*\*\*"/);
    // The generated ConfigMap gets a new name; the old one's deletion diff shows its keys only.
    expect(body).toMatch(/🗑️ delete <code>ConfigMap \S+\/app-env-/);
    expect(body).toMatch(/-\s+DB_URL: "\*\*\*"/);
    // Masking is no blanket: what was never secret reads as it is.
    expect(body).toContain('+apiVersion: v1');
    expect(body).toContain('+kind: ConfigMap');
    const run = github.records(repo).checkRuns.at(-1);
    expect(run?.conclusion).toBe('success');
    expectNoCanary();
  });

  it('deploys the rotation and prunes the old generation', async () => {
    git.setBranch('main', git.head('rotate'));
    expect((await push(git.head('main'))).status).toBe(202);
    const deployment = github.records(repo).deployments.at(-1);
    expect(deployment?.statuses.at(-1)?.state).toBe('success');
    expect(kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.labels.copied}'])).toBe(
      rotated,
    );
    expectNoCanary();
  });

  it('fails a plan and a deploy on a value the API server echoes, without the value', async () => {
    // `data` values must be strings: the server answers with the whole decoded value.
    const invalid = {
      'apps/web/bad.sops.yaml': sopsEncrypt(
        'bad.yaml',
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  nested:\n    inner: ${rotated}\n`,
        recipient,
      ),
      'apps/web/kustomization.yaml': app(rotated)['apps/web/kustomization.yaml']?.replace(
        'resources: [namespace.yaml, db.sops.yaml, app.yaml]',
        'resources: [namespace.yaml, db.sops.yaml, app.yaml, bad.sops.yaml]',
      ) as string,
    };
    await pullRequest(2, 'invalid', invalid);
    expect(comment(2)).toContain('**Errors**');
    expect(comment(2)).toMatch(/\.data\.nested: expected string, got map \(value hidden\)/);
    expect(github.records(repo).checkRuns.at(-1)?.conclusion).toBe('failure');
    git.setBranch('main', git.head('invalid'));
    await push(git.head('main'));
    const deployment = github.records(repo).deployments.at(-1);
    expect(deployment?.statuses.at(-1)?.state).toBe('failure');
    expect(deployment?.statuses.at(-1)?.description).toMatch(/^apply failed: /);
    expectNoCanary();
    // Back to a valid head.
    const fixed = git.commit({ 'apps/web/bad.sops.yaml': null, ...app(rotated) }, 'fix');
    await push(fixed);
    expect(github.records(repo).deployments.at(-1)?.statuses.at(-1)?.state).toBe('success');
  });

  it('annotates a render failure whose message would quote a decrypted value, masked', async () => {
    // Even the kustomization can be a SOPS file: then its selectors are decrypted values.
    const kustomization = [
      'resources: [namespace.yaml, app.yaml]',
      'replacements:',
      `  - source: { kind: Secret, name: ${rotated}, fieldPath: data.x }`,
      '    targets: [{ select: { kind: ConfigMap, name: settings }, fieldPaths: [data.y] }]',
      '',
    ].join('\n');
    await pullRequest(3, 'encrypted-kustomization', {
      'apps/web/kustomization.yaml': sopsEncrypt('kustomization.yaml', kustomization, recipient),
    });
    const run = github.records(repo).checkRuns.at(-1);
    expect(run?.conclusion).toBe('failure');
    expect(run?.annotations[0]).toMatchObject({ path: 'apps/web/kustomization.yaml' });
    expect(run?.annotations[0]?.message).toContain('***');
    expect(comment(3)).toContain('❌ **render failed**');
    expectNoCanary();
  });

  it('reports drift of secret-bearing fields in an issue, masked, and heals it', async () => {
    kubectl([
      'annotate',
      '--overwrite',
      '--field-manager=hand-edit',
      'deployment',
      'web',
      'copied=edited-by-hand',
    ]);
    const generated = kubectl(['get', 'configmap', '-o', 'name'])
      .split('\n')
      .find((n) => n.includes('app-env-')) as string;
    kubectl([
      'patch',
      generated,
      '--field-manager=hand-edit',
      '--type=merge',
      '-p',
      '{"data":{"DB_URL":"postgres://app:guessed@db/app"}}',
    ]);
    expect(await runtime.sweep()).toBe(1);
    await runtime.queue.idle();
    const issue = github.records(repo).issues.find((i) => i.labels.includes('plumbline-drift'));
    expect(issue?.body).toContain('hand-edit');
    expect(issue?.body).toContain('*** (changed)');
    expect(issue?.body).toContain('**Self-healed:**');
    expect(
      kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.annotations}']),
    ).toContain(rotated);
    expectNoCanary();
  });

  it('keeps the CLI quiet about it: render, plan, apply (text, Markdown, JSON) and sweep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-canary-cli-'));
    mkdirSync(join(dir, '.git'));
    for (const [path, content] of Object.entries(app(canary))) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const appDir = join(dir, 'apps/web');
    const saved = process.env.SOPS_AGE_KEY;
    process.env.SOPS_AGE_KEY = identity;
    try {
      const run = async (args: string[]) => {
        const { out, io } = captureIo();
        const code = await runCli(args, io);
        printed.push(out.stdout, out.stderr);
        return { code, ...out };
      };
      const rendered = await run(['render', appDir]);
      expect(rendered.code).toBe(0);
      expect(rendered.stdout).toContain("copied: '***'");
      const cluster_ = ['--kubeconfig', cluster.kubeconfig, '-n', namespace, '--app', 'web'];
      for (const output of ['text', 'markdown', 'json']) {
        const planned = await run(['plan', appDir, ...cluster_, '-o', output]);
        expect(planned.code).toBe(1);
        expect(planned.stdout).toContain('*** (changed)');
      }
      const applied = await run(['apply', appDir, ...cluster_, '-o', 'json']);
      expect(applied.code).toBe(0);
      const stdout: string[] = [];
      const code = await sweepCommand(
        ['--verbose'],
        {
          stdout: (t) => stdout.push(t),
          stderr: (t) => stdout.push(t),
          isTTY: false,
        },
        {
          env: {
            PATH: process.env.PATH,
            PLUMBLINE_REPOSITORIES: JSON.stringify([
              { fullName: repo, sops: { ageKeys: ['canary-age'] } },
            ]),
            PLUMBLINE_TARGETS: JSON.stringify([
              testTargetSetting(cluster, 'test', 'test-cluster', scope),
            ]),
            GITHUB_TOKEN: token,
            PLUMBLINE_GITHUB_API_URL: proxyUrl,
            PLUMBLINE_SECRET_TEST_CLUSTER: cluster.admin.token,
            PLUMBLINE_SECRET_CANARY_AGE: identity,
          },
        },
      );
      printed.push(stdout.join(''));
      expect(code).toBe(0);
      // The CLI applied the old canary by hand: the sweep puts the head (rotated) back.
      expect(stdout.join('')).toContain(`${repo} web:`);
    } finally {
      if (saved === undefined) delete process.env.SOPS_AGE_KEY;
      else process.env.SOPS_AGE_KEY = saved;
      rmSync(dir, { recursive: true, force: true });
    }
    expectNoCanary();
  });
});
