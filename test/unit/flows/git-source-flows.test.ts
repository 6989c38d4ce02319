import { describe, expect, it } from 'vitest';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { GitSourcePoller } from '../../../lib/flows/poll-git-source.ts';
import { sweepApp, sweepJobs } from '../../../lib/flows/sweep.ts';
import type { Job, ReconcileJob } from '../../../lib/jobs/job.ts';
import { resolveReconcileJob } from '../../../lib/jobs/resolve-job.ts';
import type { GitHost } from '../../../lib/ports/git-host.ts';
import type { PolledGitSource, RemoteHeads } from '../../../lib/ports/git-source.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { RecordingQueue } from '../../../lib/ports/queue.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import type { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { baseFiles, configMap, flowSetup, REPO, ref } from './fixtures.ts';

const GIT = { url: '/srv/git/deploy', pollIntervalSeconds: 5 };

/** `git` as a polled source, its heads read from the branches the test names. */
function polled(
  git: MemoryGitHost,
  branches: string[] = ['main'],
): PolledGitSource & {
  headCalls: number;
} {
  const source = {
    location: GIT.url,
    headCalls: 0,
    async heads(): Promise<RemoteHeads> {
      source.headCalls += 1;
      const found = new Map<string, string>();
      for (const branch of branches) {
        try {
          found.set(branch, await git.branchHead(ref, branch));
        } catch {
          // not created yet
        }
      }
      return { defaultBranch: 'main', branches: found };
    },
    defaultBranch: (r: typeof ref) => git.defaultBranch(r),
    branchHead: (r: typeof ref, b: string) => git.branchHead(r, b),
    treeAt: (r: typeof ref, sha: string) => git.treeAt(r, sha),
    readFile: (r: typeof ref, sha: string, path: string) => git.readFile(r, sha, path),
    compare: (r: typeof ref, base: string, head: string) => git.compare(r, base, head),
  };
  return source;
}

/** The flow set-up with the repository registered as a Git source: GitHub is never asked. */
function gitSourceSetup(selfHeal = false) {
  const setup = flowSetup();
  const source = polled(setup.git);
  const github: string[] = [];
  const noGitHub = () => {
    github.push('gitHostFor');
    return setup.git as GitHost;
  };
  setup.deps.registry = new StaticRepoRegistry([{ fullName: REPO, git: GIT }]);
  setup.deps.gitHostFor = noGitHub;
  setup.deps.gitSourceFor = () => source;
  const files = (color: string) => ({
    ...baseFiles(color),
    'plumbline.yaml': `apps:\n  - name: web\n    path: apps/web\n    target: prod\n    namespace: web\n    selfHeal: ${selfHeal}\n`,
  });
  return { ...setup, source, github, files };
}

const reconcile = (since?: string): ReconcileJob => ({
  kind: 'reconcile',
  repo: REPO,
  app: 'web',
  branch: 'main',
  deliveryId: 'poll-1',
  ...(since ? { since } : {}),
});

describe('flows over a Git source', () => {
  it('deploys from the source and reports to nobody on GitHub', async () => {
    const { git, deps, github, files, logger } = gitSourceSetup();
    const before = git.commit(REPO, 'main', files('blue'));
    const after = git.commit(REPO, 'main', files('green'));
    const outcome = await deployApp(reconcile(before), deps);
    expect(outcome).toMatchObject({ status: 'applied', sha: after });
    expect(outcome).not.toHaveProperty('deploymentId');
    expect(github).toEqual([]);
    expect(git.deployments).toEqual([]);
    expect(git.statuses).toEqual([]);
    expect(logger.find('reconciled')[0]?.fields).toMatchObject({
      repo: REPO,
      app: 'web',
      sha: after,
    });
  });

  it('refuses requireReviewedPlan, which no Git source can satisfy, instead of holding forever', async () => {
    const { git, deps, github, files, kube } = gitSourceSetup();
    git.commit(REPO, 'main', {
      ...files('blue'),
      'plumbline.yaml': `${files('blue')['plumbline.yaml']}    requireReviewedPlan: true\n`,
    });
    const outcome = await deployApp(reconcile(), deps);
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: {
        stage: 'config',
        message: `plumbline.yaml: app web: requireReviewedPlan needs pull requests, and ${REPO} is a Git source without any`,
        hint: 'remove requireReviewedPlan from the app, or serve the repository from GitHub',
      },
    });
    expect(kube.calls.filter((c) => !c.startsWith('get'))).toEqual([]);
    expect(github).toEqual([]);
  });

  it('reports drift in the log with what changed, heals it, and opens no issue', async () => {
    const { git, deps, github, files, kube, logger } = gitSourceSetup(true);
    git.commit(REPO, 'main', files('blue'));
    await deployApp(reconcile(), deps);
    const stored = [...kube.objects.values()].find((o) => o.metadata.name === 'settings');
    (stored as unknown as { data: Record<string, string> }).data.color = 'hand-edited';
    const outcome = await sweepApp(
      { kind: 'sweep', repo: REPO, app: 'web', branch: 'main', deliveryId: 'sweep-1' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'drifted', finding: { healed: { ok: true } } });
    expect(outcome).not.toHaveProperty('issue');
    const line = logger.find('sweep: drift found')[0];
    expect(line?.fields.changes).toEqual(['ConfigMap web/settings data.color by unknown']);
    const healed = [...kube.objects.values()].find((o) => o.metadata.name === 'settings');
    expect((healed as unknown as { data: unknown }).data).toEqual({ color: 'blue' });
    expect(git.issues.size).toBe(0);
    expect(github).toEqual([]);
  });

  it('lists sweep jobs from the source', async () => {
    const { git, deps, files } = gitSourceSetup();
    git.commit(REPO, 'main', files('blue'));
    const jobs = await sweepJobs(deps, { sweepId: 's', logger: new MemoryLogger() });
    expect(jobs.map((j) => j.app)).toEqual(['web']);
  });

  it('plans no pull request of a Git source', async () => {
    const { deps, github } = gitSourceSetup();
    const outcome = await planPullRequest(
      { kind: 'plan', repo: REPO, number: 1, deliveryId: 'x' },
      deps,
    );
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('Git source'),
    });
    expect(github).toEqual([]);
  });

  it('refuses a Git source in a runtime that reads none, naming the repository', async () => {
    const { git, deps, files } = gitSourceSetup();
    git.commit(REPO, 'main', files('blue'));
    delete deps.gitSourceFor;
    await expect(resolveReconcileJob(reconcile(), deps)).rejects.toThrow(
      /acme\/deploy is a Git source \(url\), which this runtime does not read/,
    );
  });
});

describe('GitSourcePoller', () => {
  function pollerSetup() {
    const { git, source, files } = gitSourceSetup();
    const queue = new RecordingQueue<Job>();
    const logger = new MemoryLogger();
    const poller = new GitSourcePoller({
      repo: { fullName: REPO, ref, git: GIT },
      source,
      queue,
      logger,
    });
    const sent = () => queue.sent.map((s) => s.message);
    return { git, source, files, queue, logger, poller, sent };
  }

  it('enqueues every app at the first poll, without a hint (the digest decides)', async () => {
    const { git, poller, sent, files } = pollerSetup();
    git.commit(REPO, 'main', files('blue'));
    expect(await poller.poll('poll-1')).toEqual({
      status: 'enqueued',
      branches: ['main'],
      apps: ['web'],
    });
    expect(sent()).toEqual([
      { kind: 'reconcile', repo: REPO, app: 'web', branch: 'main', deliveryId: 'poll-1' },
    ]);
  });

  it('costs one head listing and enqueues nothing while no branch moved', async () => {
    const { git, poller, sent, files, source } = pollerSetup();
    git.commit(REPO, 'main', files('blue'));
    await poller.poll('poll-1');
    git.calls.length = 0;
    source.headCalls = 0;
    expect(await poller.poll('poll-2')).toEqual({ status: 'unchanged' });
    expect(source.headCalls).toBe(1);
    expect(git.calls.filter((c) => !c.startsWith('branchHead'))).toEqual([]);
    expect(sent()).toHaveLength(1);
  });

  it('enqueues the apps of a moved branch with the previous head as the hint', async () => {
    const { git, poller, sent, files } = pollerSetup();
    const first = git.commit(REPO, 'main', files('blue'));
    await poller.poll('poll-1');
    git.commit(REPO, 'main', files('green'));
    await poller.poll('poll-2');
    expect(sent().at(-1)).toEqual({
      kind: 'reconcile',
      repo: REPO,
      app: 'web',
      branch: 'main',
      deliveryId: 'poll-2',
      since: first,
    });
  });

  it('logs an unreachable source once while it stays down, and recovers', async () => {
    const { git, poller, source, logger, files } = pollerSetup();
    const heads = source.heads;
    source.heads = async () => {
      throw new Error('local/demo (/srv/git/deploy): is not a Git repository');
    };
    for (let i = 0; i < 3; i++) {
      expect(await poller.poll(`p-${i}`)).toMatchObject({ status: 'unreachable' });
    }
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(logger.entries[0]?.message).toBe(
      'poll: local/demo (/srv/git/deploy): is not a Git repository',
    );
    source.heads = heads;
    git.commit(REPO, 'main', files('blue'));
    expect(await poller.poll('p-3')).toMatchObject({ status: 'enqueued' });
  });

  it('says so when the trusted branch has no plumbline.yaml, and reads it once one is committed', async () => {
    const { git, poller, sent, logger, files } = pollerSetup();
    const first = git.commit(REPO, 'main', { 'README.md': 'hello\n' });
    expect(await poller.poll('p-1')).toMatchObject({ status: 'no-config' });
    expect(logger.entries[0]?.message).toContain('no plumbline.yaml on the trusted branch');
    expect(await poller.poll('p-2')).toEqual({ status: 'unchanged' });
    git.commit(REPO, 'main', files('blue'));
    await poller.poll('p-3');
    expect(sent()).toEqual([expect.objectContaining({ app: 'web', since: first })]);
  });

  it('logs an invalid trusted plumbline.yaml with its error and enqueues nothing', async () => {
    const { git, poller, sent, logger } = pollerSetup();
    git.commit(REPO, 'main', {
      'plumbline.yaml': 'apps:\n  - name: web\n    taget: prod\n',
      'apps/web/a.yaml': configMap('a', 'b'),
    });
    expect(await poller.poll('p-1')).toMatchObject({ status: 'invalid-config' });
    expect(logger.entries[0]).toMatchObject({ level: 'error' });
    expect(logger.entries[0]?.message).toMatch(/plumbline\.yaml/);
    expect(sent()).toEqual([]);
  });
});
