import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import type { PlanJob } from '../../../lib/jobs/job.ts';
import type { Plan } from '../../../lib/plan/plan.ts';
import { githubBodyLimit } from '../../../lib/report/limits.ts';
import { markOutdated, PLAN_MARKER, pullRequestComment } from '../../../lib/report/markdown.ts';
import type { PullRequestPlan } from '../../../lib/report/outcomes.ts';
import { redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';
import { baseFiles, config, configMap, flowSetup, REPO } from './fixtures.ts';

const job: PlanJob = { kind: 'plan', repo: REPO, number: 7, deliveryId: 'd-1' };

/** A base commit on main and a pull request branch on top of it. */
function pullRequest(change: Record<string, string>, options: { headRepo?: string } = {}) {
  const setup = flowSetup();
  const baseSha = setup.git.commit(REPO, 'main', baseFiles('blue'));
  const headSha = setup.git.commit(REPO, 'feature', { ...baseFiles('blue'), ...change });
  setup.git.openPullRequest(REPO, {
    number: 7,
    state: 'open',
    merged: false,
    headSha,
    headRef: 'feature',
    headRepo: options.headRepo ?? REPO,
    baseRef: 'main',
    baseSha,
  });
  return { ...setup, baseSha, headSha };
}

describe('planPullRequest', () => {
  it('plans the affected app, dry run only, in one sticky comment and a check run', async () => {
    const { git, deps, kube, headSha } = pullRequest({
      'apps/web/settings.yaml': configMap('settings', 'green'),
    });
    const outcome = await planPullRequest(job, deps);
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'success' });
    expect(kube.objects.size).toBe(0);
    expect(kube.calls.filter((c) => c.startsWith('apply'))).toEqual([]);
    expect(kube.calls.filter((c) => c.startsWith('dry-run'))).toEqual([
      'dry-run ConfigMap web/settings',
    ]);
    const comments = git.comments.get(`${REPO}#7`) ?? [];
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(body).toContain('1 of 2 app(s) affected');
    expect(body).toContain('web → prod/web');
    expect(body).toContain('Not affected: no file it reads changed.');
    const run = git.checkRuns.at(-1);
    expect(run).toMatchObject({
      name: 'plumbline/plan',
      headSha,
      status: 'completed',
      conclusion: 'success',
      title: '1 to create, 0 to update, 0 to delete',
    });
  });

  it('updates the same comment in place when the pull request is planned again', async () => {
    const { git, deps } = pullRequest({ 'apps/web/settings.yaml': configMap('settings', 'green') });
    await planPullRequest(job, deps);
    const pull = git.pulls.get(`${REPO}#7`);
    if (!pull) throw new Error('no pull');
    pull.headSha = git.commit(REPO, 'feature', {
      ...baseFiles('blue'),
      'apps/web/settings.yaml': configMap('settings', 'yellow'),
      'apps/api/settings.yaml': configMap('api-settings', 'pink'),
    });
    await planPullRequest(job, deps);
    const comments = git.comments.get(`${REPO}#7`) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('2 of 2 app(s) affected');
    expect(git.calls.filter((c) => c.startsWith('updateIssueComment'))).toHaveLength(1);
  });

  it('fails the check with an annotation at the file and line of a render error', async () => {
    const { git, deps, kube } = pullRequest({
      'apps/web/settings.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n',
    });
    const outcome = await planPullRequest(job, deps);
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'failure' });
    expect(kube.calls).toEqual([]);
    const run = git.checkRuns.at(-1);
    expect(run?.conclusion).toBe('failure');
    expect(run?.annotations?.[0]).toMatchObject({
      path: 'apps/web/settings.yaml',
      level: 'failure',
      title: 'render failed',
    });
    expect(run?.annotations?.[0]?.startLine).toBeGreaterThan(0);
    const body = git.comments.get(`${REPO}#7`)?.[0]?.body ?? '';
    expect(body).toContain('❌ **render failed**');
  });

  it('fails the check when a dry run fails (the apply would fail the same way)', async () => {
    const { git, deps, kube } = pullRequest({
      'apps/web/settings.yaml': configMap('settings', 'green'),
    });
    kube.failWhen((verb) =>
      verb === 'dry-run'
        ? new KubeError('ConfigMap web/settings: admission webhook denied it', 422, 'Invalid')
        : undefined,
    );
    const outcome = await planPullRequest(job, deps);
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'failure' });
    expect(git.checkRuns.at(-1)?.title).toBe(
      '1 app(s) failed · 1 to create, 0 to update, 0 to delete',
    );
    expect(git.comments.get(`${REPO}#7`)?.[0]?.body).toContain('admission webhook denied it');
  });

  it('does not plan a fork pull request, and says why', async () => {
    const { git, deps, kube, clientsFor } = pullRequest(
      { 'apps/web/settings.yaml': configMap('settings', 'green') },
      { headRepo: 'mallory/deploy' },
    );
    const outcome = await planPullRequest(job, deps);
    expect(outcome.status).toBe('not-planned');
    expect(clientsFor).toEqual([]);
    expect(kube.calls).toEqual([]);
    expect(git.calls.some((c) => c.startsWith('treeAt'))).toBe(false);
    const body = git.comments.get(`${REPO}#7`)?.[0]?.body ?? '';
    expect(body).toContain('fork mallory/deploy');
    expect(body).toContain('allowForkPlans: true');
    expect(git.checkRuns.at(-1)).toMatchObject({ conclusion: 'neutral' });
  });

  it('plans a fork pull request when the base branch allows it', async () => {
    const setup = flowSetup();
    const files = { ...baseFiles('blue'), 'plumbline.yaml': `allowForkPlans: true\n${config()}` };
    const baseSha = setup.git.commit(REPO, 'main', files);
    const headSha = setup.git.commit(REPO, 'feature', {
      ...files,
      'apps/web/settings.yaml': configMap('settings', 'green'),
    });
    setup.git.openPullRequest(REPO, {
      number: 7,
      state: 'open',
      merged: false,
      headSha,
      headRef: 'feature',
      headRepo: 'friend/deploy',
      baseRef: 'main',
      baseSha,
    });
    expect(await planPullRequest(job, setup.deps)).toMatchObject({ status: 'planned' });
  });

  it('plans apps and targets as the trusted configuration defines them, whatever the pull request says', async () => {
    const { git, deps, clientsFor, kube } = pullRequest({
      'plumbline.yaml': `targets:\n  - name: prod\n    server: https://evil.example.com\n${config(
        '  - name: evil\n    path: apps/web\n    target: prod\n    namespace: kube-system\n',
      )
        .replace('namespace: web', 'namespace: kube-system')
        .replace('apps:\n', 'apps:\n')}`,
      'apps/web/settings.yaml': configMap('settings', 'green'),
    });
    const outcome = await planPullRequest(job, deps);
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'success' });
    // Only the trusted apps, through the operator's binding, into their trusted namespaces.
    expect(clientsFor).toEqual(['prod']);
    expect(kube.calls.filter((c) => c.startsWith('dry-run'))).toEqual([
      'dry-run ConfigMap web/settings',
    ]);
    const body = git.comments.get(`${REPO}#7`)?.[0]?.body ?? '';
    expect(body).toContain('web → prod/web');
    expect(body).not.toContain('evil');
    expect(body).toContain('takes effect once merged');
  });

  it('fails the app whose trusted target does not allow its namespace, naming the setting', async () => {
    const { git, deps, clientsFor } = pullRequest({
      'apps/web/settings.yaml': configMap('settings', 'green'),
    });
    const cluster = deps.targets[0];
    if (cluster?.kind !== 'kubernetes') throw new Error('the fixture binds a Kubernetes target');
    deps.targets = [{ ...cluster, namespaces: ['api'] }];
    const outcome = await planPullRequest(job, deps);
    expect(outcome).toMatchObject({ conclusion: 'failure' });
    expect(clientsFor).toEqual([]);
    const body = git.comments.get(`${REPO}#7`)?.[0]?.body ?? '';
    expect(body).toContain('❌ **config failed**');
    expect(body).toContain(
      "namespace 'web' is not allowed on target 'prod' (runtime setting targets\\[prod\\].namespaces: api)",
    );
  });

  it('marks the comment outdated when the pull request is closed, once', async () => {
    const { git, deps } = pullRequest({ 'apps/web/settings.yaml': configMap('settings', 'green') });
    await planPullRequest(job, deps);
    const pull = git.pulls.get(`${REPO}#7`);
    if (!pull) throw new Error('no pull');
    pull.state = 'closed';
    pull.merged = true;
    expect(await planPullRequest(job, deps)).toMatchObject({ status: 'outdated' });
    await planPullRequest(job, deps);
    const body = git.comments.get(`${REPO}#7`)?.[0]?.body ?? '';
    expect(body.startsWith(`${PLAN_MARKER}\n> **Outdated:** this pull request was merged`)).toBe(
      true,
    );
    expect(body.match(/Outdated/g)).toHaveLength(1);
    expect(markOutdated(body, true)).toBe(body);
  });
});

describe('pullRequestComment', () => {
  it('stays under GitHub’s limit with many large plans, and says what was cut', () => {
    const plan = (i: number): Plan => ({
      app: `app-${i}`,
      namespace: 'ns',
      revision: 'a'.repeat(40),
      applySetId: 'x',
      digest: 'sha256:0',
      digests: { desired: 'sha256:0', live: 'sha256:0' },
      warnings: [],
      summary: { create: 1, update: 0, unchanged: 0, delete: 0, errors: 0, drifted: 0 },
      entries: Array.from({ length: 40 }, (_, j) => ({
        ref: { group: '', kind: 'ConfigMap', namespace: 'ns', name: `cm-${j}` },
        apiVersion: 'v1',
        action: 'create' as const,
        diff: `+${'x'.repeat(3_000)}\n`,
      })),
    });
    const pr: PullRequestPlan = {
      repo: REPO,
      number: 1,
      headSha: 'b'.repeat(40),
      apps: Array.from({ length: 30 }, (_, i) => ({
        kind: 'planned' as const,
        app: `app-${i}`,
        target: 'prod',
        plan: plan(i),
      })),
    };
    const body = pullRequestComment(redacted(pr, noSecrets));
    expect(body.length).toBeLessThan(githubBodyLimit);
    expect(body).toMatch(/more changed object\(s\) not shown|app section\(s\) not shown/);
  });
});
