/**
 * The Node runtime's sweep: on its timer (and on demand) it lists every app of every registered
 * repository through GitHub and enqueues one sweep job per app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { startNodeRuntime } from '../../../functions/node.ts';
import type { Job } from '../../../lib/jobs/job.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

const TOKEN = 'ghs_timer_token';
let git: TestGitRepo;
let github: GitHubServer;

beforeAll(async () => {
  git = TestGitRepo.create();
  git.commit({
    'plumbline.yaml': [
      'apps:',
      '  - {name: web, path: apps/web, target: t, namespace: web}',
      '  - {name: api, path: apps/api, target: t, namespace: api, branch: release}',
      '',
    ].join('\n'),
  });
  github = await startGitHubServer({ repos: { 'acme/deploy': git }, token: TOKEN });
});

afterAll(async () => {
  await github?.close();
  git?.remove();
});

describe('Node runtime sweep', () => {
  it('enqueues a sweep job per app on its timer, and stops with the runtime', async () => {
    const jobs: Job[] = [];
    const runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        repositories: [{ fullName: 'acme/deploy' }],
        githubApiUrl: github.url,
        githubToken: TOKEN,
      },
      runJob: async (job) => {
        jobs.push(job);
      },
      logger: new MemoryLogger(),
      sweepIntervalMs: 50,
    });
    const deadline = Date.now() + 10_000;
    while (jobs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await runtime.close();
    const seen = jobs.length;
    expect(jobs.slice(0, 2)).toEqual([
      {
        kind: 'sweep',
        repo: 'acme/deploy',
        app: 'web',
        branch: 'main',
        deliveryId: expect.stringMatching(/^sweep-/),
      },
      {
        kind: 'sweep',
        repo: 'acme/deploy',
        app: 'api',
        branch: 'release',
        deliveryId: expect.stringMatching(/^sweep-/),
      },
    ]);
    await new Promise((r) => setTimeout(r, 150));
    expect(jobs.length).toBe(seen);
  });

  it('sweeps on demand and says how many apps it enqueued', async () => {
    const jobs: Job[] = [];
    const runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        repositories: [{ fullName: 'acme/deploy' }],
        githubApiUrl: github.url,
        githubToken: TOKEN,
      },
      runJob: async (job) => {
        jobs.push(job);
      },
      logger: new MemoryLogger(),
    });
    expect(await runtime.sweep()).toBe(2);
    await runtime.queue.idle();
    await runtime.close();
    expect(jobs.map((j) => (j.kind === 'sweep' ? j.app : j.kind))).toEqual(['web', 'api']);
  });
});
