/**
 * GitHub faults during a push deploy, injected by the GitHub test server: a 5xx and a
 * secondary rate limit with `retry-after`. The job is retried (after at least the time GitHub
 * asked for), the app ends applied at the head, and what is reported is true.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { nodeReconciler } from '../../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../../functions/node/settings.ts';
import { DEFAULT_RETRY, type NodeRuntime, startNodeRuntime } from '../../../functions/node.ts';
import { readInventory } from '../../../lib/inventory/applyset.ts';
import { retryAfterOf } from '../../../lib/jobs/transient.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { testTargetBinding } from '../../env/target-config.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pushDelivery } from '../../github-server/webhook-delivery.ts';
import { adminKube, freshNamespace } from '../engine/cluster.ts';
import { expectTruthful, objectsAt, report } from './harness.ts';

const cluster = inject('cluster');
const secret = 'gh-fault-secret';
const repo = 'acme/flaky';
let git: TestGitRepo;
let github: GitHubServer;
let runtime: NodeRuntime;
const logger = new MemoryLogger();

beforeAll(async () => {
  git = TestGitRepo.create();
  github = await startGitHubServer({ repos: { [repo]: git }, token: 'gh-flaky' });
  runtime = await startNodeRuntime({
    settings: {
      ...DEFAULT_SETTINGS,
      port: 0,
      webhookSecrets: [secret],
      repositories: [{ fullName: repo }],
      targets: [testTargetBinding(cluster, 'test', 'flaky-token')],
      githubApiUrl: github.url,
      githubToken: 'gh-flaky',
      secrets: { 'flaky-token': cluster.admin.token },
    },
    runJob: nodeReconciler(),
    logger,
    // As the production policy, with a short base so the suite stays quick: retry-after still wins.
    retry: {
      ...DEFAULT_RETRY,
      delayMs: (attempt, error) => Math.max(100 * attempt, retryAfterOf(error) ?? 0),
    },
  });
});

afterAll(async () => {
  await runtime?.close();
  await github?.close();
  git?.remove();
});

describe('GitHub faults during a push deploy', () => {
  it('retries after a 503 and after a secondary rate limit, waiting the retry-after, and applies the head', async () => {
    const ns = await freshNamespace(adminKube().client, 'gh-faults');
    const files = {
      'plumbline.yaml': [
        'apps:',
        '  - name: faulty',
        '    path: apps/faulty',
        '    target: test',
        `    namespace: ${ns}`,
        '',
      ].join('\n'),
      ...Object.fromEntries(
        objectsAt('v1').map((o) => [`apps/faulty/${o.metadata.name}.yaml`, stringify(o)]),
      ),
    };
    const sha = git.commit(files, 'first');
    // The tree at the head is the job's own read (the webhook's reads of the trusted branch
    // are shared with the job on Node): its first download meets a 503, its second a secondary
    // rate limit asking for 2 seconds, its third goes through.
    const tarball = /\/tarball\//;
    github.injectFault({ path: tarball, status: 503, times: 1 });
    github.injectFault({ path: tarball, status: 403, retryAfterSeconds: 2, times: 1 });
    const delivery = await pushDelivery({
      secret,
      repo,
      branch: 'main',
      before: '0'.repeat(40),
      after: sha,
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(202);
    await runtime.queue.idle();

    const reads = github.requests.filter((r) => tarball.test(r.path));
    expect(reads.map((r) => r.fault ?? 200)).toEqual([503, 403, 200]);
    const limited = reads[1];
    const after = reads[2];
    expect((after?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
    expect(runtime.queue.stats()).toMatchObject({ retried: 2, failed: 0 });
    const inventory = await readInventory(adminKube().client, 'faulty', ns);
    expect(inventory.revision).toBe(sha);
    await expectTruthful({}, ns, objectsAt('v1'), sha);
    expect(github.records(repo).deployments.at(-1)?.statuses.at(-1)?.state).toBe('success');
    report('GitHub 503, then a secondary rate limit (403, retry-after: 2)', {
      retries: 2,
      waitedAfterRateLimitMs: (after?.at ?? 0) - (limited?.at ?? 0),
      final: 'applied at the head',
    });
  });
});
