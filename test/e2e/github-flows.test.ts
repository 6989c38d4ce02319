/**
 * Issue 7's end-to-end paths, against the real kube-apiserver and the GitHub test server
 * (backed by a real git repository): pull request plans (comment and check run, dry run
 * only), merges that deploy and report a Deployment, fork pull requests left unplanned, a
 * render error failing the check with an annotation, drift made by hand reported as an issue
 * naming the field and its manager, healed and closed, a lost webhook caught by the sweep, and
 * two rapid pushes ending at the head.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sweepCommand } from '../../functions/cli/sweep.ts';
import type { CliIo } from '../../functions/cli.ts';
import type { NodeRuntime } from '../../functions/node.ts';
import { MemoryLogger } from '../../lib/ports/logger.ts';
import { PLAN_MARKER } from '../../lib/report/markdown.ts';
import { type AdminRequest, adminClient, uniqueName } from '../env/admin.ts';
import { binary } from '../env/paths.ts';
import { type RepoRuntime, startRepoRuntime } from '../env/repo-runtime.ts';
import { testTargetSetting } from '../env/target-config.ts';
import type { TestGitRepo } from '../github-server/git-repo.ts';
import type { GitHubServer } from '../github-server/server.ts';
import {
  pullRequestDelivery,
  pushDelivery,
  type WebhookDelivery,
} from '../github-server/webhook-delivery.ts';
import { webAppManifests } from './web-app.ts';

const secret = 'e2e-flows-secret';
const repo = 'acme/flows';
const ZERO = '0'.repeat(40);

describe('GitHub flows against the real API server', () => {
  const cluster = inject('cluster');
  const namespace = uniqueName('e2e-flows');
  const logger = new MemoryLogger();
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let started: RepoRuntime | undefined;
  let admin: AdminRequest;

  const plumblineYaml = [
    'apps:',
    '  - name: web',
    '    path: apps/web',
    '    target: test',
    `    namespace: ${namespace}`,
    '    selfHeal: true',
    '',
  ].join('\n');

  const manifests = (color: string, replicas: number) =>
    webAppManifests(namespace, color, replicas);

  async function deliver(delivery: WebhookDelivery, wait = true): Promise<Response> {
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    if (wait) await runtime.queue.idle();
    return response;
  }

  async function push(before: string, after: string, wait = true): Promise<Response> {
    return deliver(await pushDelivery({ secret, repo, branch: 'main', before, after }), wait);
  }

  async function sweep(): Promise<void> {
    expect(await runtime.sweep()).toBe(1);
    await runtime.queue.idle();
  }

  const records = () => github.records(repo);
  const color = async () =>
    (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).body.data;
  const replicas = async () =>
    (
      (await admin('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`)).body.spec as {
        replicas: number;
      }
    ).replicas;
  const appliedRevision = async () =>
    (
      (await admin('GET', `/api/v1/namespaces/${namespace}/secrets/web`)).body.metadata as {
        annotations: Record<string, string>;
      }
    ).annotations['plumbline.dev/revision'];

  beforeAll(async () => {
    admin = adminClient(cluster);
    started = await startRepoRuntime({
      cluster,
      repo,
      webhookSecret: secret,
      githubToken: 'gh-flows-token',
      tokenSecret: 'test-cluster',
      scope: { repositories: [repo], namespaces: [namespace], clusterResources: false },
      logger,
    });
    ({ git, github, runtime } = started);
  });

  afterAll(async () => {
    await started?.close();
  });

  let main: string;

  it('deploys the first push and reports the deployment as successful', async () => {
    main = git.commit({ 'plumbline.yaml': plumblineYaml, ...manifests('blue', 1) }, 'first');
    expect((await push(ZERO, main)).status).toBe(202);
    expect(await color()).toEqual({ color: 'blue' });
    const deployment = records().deployments.at(-1);
    expect(deployment).toMatchObject({ sha: main, environment: 'web' });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(records().statuses.at(-1)).toMatchObject({
      sha: main,
      context: 'plumbline/web',
      state: 'success',
    });
  });

  let feature: string;

  it('plans a pull request in a sticky comment and a check run, changing nothing', async () => {
    const before = (
      (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).body.metadata as {
        resourceVersion: string;
      }
    ).resourceVersion;
    feature = git.commit(manifests('green', 2), 'green', 'feature');
    github.openPullRequest(repo, { number: 1, headRef: 'feature' });
    const opened = await deliver(
      await pullRequestDelivery(secret, repo, 'opened', { number: 1, headSha: feature }),
    );
    expect(await opened.json()).toEqual({ status: 'accepted', pullRequest: 1 });

    const comments = records().comments.filter((c) => c.number === 1);
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(body).toContain('0 to create, 2 to update, 0 to delete');
    expect(body).toContain('-  color: blue');
    expect(body).toContain('+  color: green');
    const run = records().checkRuns.at(-1);
    expect(run).toMatchObject({
      name: 'plumbline/plan',
      headSha: feature,
      status: 'completed',
      conclusion: 'success',
      title: '0 to create, 2 to update, 0 to delete',
    });
    // Dry run only: the live object did not move.
    expect(await color()).toEqual({ color: 'blue' });
    const after = (
      (await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`)).body.metadata as {
        resourceVersion: string;
      }
    ).resourceVersion;
    expect(after).toBe(before);

    // A second delivery updates the same comment in place.
    await deliver(
      await pullRequestDelivery(secret, repo, 'synchronize', { number: 1, headSha: feature }),
    );
    expect(records().comments.filter((c) => c.number === 1)).toHaveLength(1);
  });

  it('deploys the merge and marks the pull request comment outdated', async () => {
    git.setBranch('main', feature);
    expect((await push(main, feature)).status).toBe(202);
    main = feature;
    expect(await color()).toEqual({ color: 'green' });
    expect(await replicas()).toBe(2);
    const deployment = records().deployments.at(-1);
    expect(deployment).toMatchObject({ sha: feature });
    expect(deployment?.statuses.at(-1)?.state).toBe('success');
    expect(deployment?.statuses.at(-1)?.description).toMatch(/^Applied [0-9a-f]{7}: /);

    github.openPullRequest(repo, { number: 1, headRef: 'feature', state: 'closed', merged: true });
    await deliver(await pullRequestDelivery(secret, repo, 'closed', { number: 1, merged: true }));
    const body = records().comments.find((c) => c.number === 1)?.body ?? '';
    expect(body).toContain('> **Outdated:** this pull request was merged');
  });

  it('does not plan a fork pull request, and says why in the comment', async () => {
    const fork = git.commit(
      { 'apps/web/evil.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n' },
      'fork',
      'fork-branch',
    );
    github.openPullRequest(repo, { number: 2, headRef: 'fork-branch', headRepo: 'mallory/flows' });
    const runs = records().checkRuns.length;
    await deliver(
      await pullRequestDelivery(secret, repo, 'opened', {
        number: 2,
        headSha: fork,
        headRepo: 'mallory/flows',
      }),
    );
    const body = records().comments.find((c) => c.number === 2)?.body ?? '';
    expect(body).toContain('Not planned: this pull request comes from the fork mallory/flows');
    expect(records().checkRuns.slice(runs)).toHaveLength(1);
    expect(records().checkRuns.at(-1)).toMatchObject({ headSha: fork, conclusion: 'neutral' });
    expect(
      github.count('GET', new RegExp(`^/repos/${repo}/tarball/${fork}`)) +
        github.count('GET', new RegExp(`^/codeload/${repo}/legacy.tar.gz/${fork}`)),
    ).toBe(0);
    expect((await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/evil`)).status).toBe(
      404,
    );
  });

  it('fails the check of a pull request that does not render, with an annotation, creating nothing', async () => {
    const broken = git.commit(
      {
        'apps/web/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never\n',
        'apps/web/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n',
      },
      'broken',
      'broken',
    );
    github.openPullRequest(repo, { number: 3, headRef: 'broken' });
    await deliver(
      await pullRequestDelivery(secret, repo, 'opened', { number: 3, headSha: broken }),
    );
    const run = records().checkRuns.at(-1);
    expect(run).toMatchObject({ headSha: broken, conclusion: 'failure' });
    expect(run?.annotations[0]).toMatchObject({
      path: 'apps/web/app.yaml',
      annotation_level: 'failure',
    });
    expect(run?.annotations[0]?.start_line).toBeGreaterThanOrEqual(1);
    const body = records().comments.find((c) => c.number === 3)?.body ?? '';
    expect(body).toContain('❌ **render failed**');
    expect((await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/never`)).status).toBe(
      404,
    );
    expect(await color()).toEqual({ color: 'green' });
  });

  it('reports drift made by hand as an issue naming field and manager, heals it, and closes it once clean', async () => {
    execFileSync(binary('kubectl'), [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      namespace,
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"replicas":5}}',
      '--field-manager=manual-scaler',
    ]);
    expect(await replicas()).toBe(5);

    await sweep();
    const issues = records().issues.filter((i) => i.labels.includes('plumbline-drift'));
    expect(issues).toHaveLength(1);
    const issue = issues[0];
    expect(issue?.state).toBe('open');
    expect(issue?.body).toMatch(
      /\| `Deployment\.apps [^`]+\/web` \| `[^`]*replicas` \| `manual-scaler` \|/,
    );
    expect(issue?.body).toContain('**Self-healed:**');
    expect(await replicas()).toBe(2);

    await sweep();
    expect(records().issues.filter((i) => i.labels.includes('plumbline-drift'))).toEqual([
      expect.objectContaining({ number: issue?.number, state: 'closed' }),
    ]);
  });

  it('catches a lost webhook at the next sweep', async () => {
    const lost = git.commit(manifests('orange', 2), 'lost');
    expect(await color()).toEqual({ color: 'green' });
    await sweep();
    expect(await color()).toEqual({ color: 'orange' });
    expect(await appliedRevision()).toBe(lost);
    expect(records().deployments.at(-1)).toMatchObject({ sha: lost });
    main = lost;
  });

  it('ends at the head commit after two rapid pushes', async () => {
    const first = git.commit(manifests('purple', 2), 'purple');
    const firstResponse = push(main, first, false);
    const second = git.commit(manifests('teal', 3), 'teal');
    const secondResponse = push(first, second, false);
    expect((await firstResponse).status).toBe(202);
    expect((await secondResponse).status).toBe(202);
    await runtime.queue.idle();
    expect(await color()).toEqual({ color: 'teal' });
    expect(await replicas()).toBe(3);
    expect(await appliedRevision()).toBe(second);
    main = second;
  });

  it('plumbline sweep reports drift from the command line and heals it', async () => {
    execFileSync(binary('kubectl'), [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      namespace,
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"replicas":7}}',
      '--field-manager=night-shift',
    ]);
    const sweepEnv = {
      PLUMBLINE_REPOSITORIES: repo,
      PLUMBLINE_TARGETS: JSON.stringify([
        testTargetSetting(cluster, 'test', 'test-cluster', {
          repositories: [repo],
          namespaces: [namespace],
          clusterResources: false,
        }),
      ]),
      GITHUB_TOKEN: 'gh-flows-token',
      PLUMBLINE_GITHUB_API_URL: github.url,
      PLUMBLINE_SECRET_TEST_CLUSTER: cluster.admin.token,
    };
    // Off a terminal (a pipe, a CI log): whole lines only, no progress drawn.
    const out: string[] = [];
    const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => out.push(t), isTTY: false };
    const code = await sweepCommand([], io, { env: sweepEnv });
    const text = out.join('');
    expect(code).toBe(0);
    expect(text).toContain(`${repo} web: drifted (issue opened, healed)`);
    expect(text).toMatch(/Deployment\.apps \S+\/web \S*replicas changed by night-shift/);
    expect(text).not.toContain('\r');
    expect(text).not.toContain('sweeping');
    expect(text.endsWith('\n')).toBe(true);
    expect(await replicas()).toBe(3);
    // On a terminal: which app of how many is being swept, on stderr, erased before the result.
    const tty = { stdout: '', stderr: '' };
    const ttyIo: CliIo = {
      stdout: (t) => {
        tty.stdout += t;
      },
      stderr: (t) => {
        tty.stderr += t;
      },
      isTTY: false,
      stderrIsTTY: true,
      columns: 120,
    };
    expect(await sweepCommand([], ttyIo, { env: sweepEnv })).toBe(0);
    expect(tty.stderr).toBe(`\r\x1b[2Ksweeping 1/1: ${repo} web\r\x1b[2K`);
    expect(tty.stdout).toContain(`${repo} web: in sync`);
    expect(tty.stdout).not.toContain('\r');
    expect(await replicas()).toBe(3);
  });
});
