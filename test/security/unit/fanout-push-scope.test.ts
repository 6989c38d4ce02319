/**
 * The push payload's file lists narrow the fan-out, so a payload that lies, or is shaped to
 * hurt, must never narrow it wrongly: whatever the lists hold (paths climbing out with `..`,
 * absolute paths, `__proto__` keys, non-strings, GitHub's cap of commits, lists too long to
 * read), the webhook answers 202 and enqueues every app of the branch, or exactly the apps
 * the valid paths reach.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/jobs/job.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { RecordingQueue } from '../../../lib/ports/queue.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { createApp } from '../../../lib/webhook/app.ts';
import { MAX_LISTED_PATHS, MAX_PUSH_COMMITS } from '../../../lib/webhook/push-scope.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { pushDelivery, signedDelivery } from '../../github-server/webhook-delivery.ts';

const SECRET = 'webhook-secret';
const config = `apps:
  - {name: web, path: apps/web, target: dev, namespace: web}
  - {name: api, path: apps/api, target: dev, namespace: api}
`;

async function deliver(commits: unknown) {
  const gitHost = new MemoryGitHost();
  const before = gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': config });
  const after = gitHost.commit('acme/deploy', 'main', {
    'plumbline.yaml': config,
    'apps/web/a.yaml': 'x',
  });
  const queue = new RecordingQueue<Job>();
  const app = createApp({
    secrets: [SECRET],
    registry: new StaticRepoRegistry(['acme/deploy']),
    gitHostFor: () => gitHost,
    queue,
    logger: new MemoryLogger(),
    maxBodyBytes: 4 * 1024 * 1024,
  });
  const base = await pushDelivery({
    secret: SECRET,
    repo: 'acme/deploy',
    branch: 'main',
    before,
    after,
  });
  const payload = JSON.parse(base.body) as Record<string, unknown>;
  const body = JSON.stringify({ ...payload, commits }).replace(
    '"commits":',
    '"__proto__":{"forced":false,"commits":[]},"commits":',
  );
  const delivery = await signedDelivery('push', body, SECRET);
  const response = await app.request('/webhooks/github', {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return {
    status: response.status,
    answer: (await response.json()) as { apps?: string[]; reason?: string },
    apps: queue.sent.map((s) => (s.message as { app: string }).app),
  };
}

const files = (modified: unknown[]) => ({ id: 'c', added: [], removed: [], modified });

describe('hostile push file lists never narrow the fan-out wrongly', () => {
  it.each([
    ['a path climbing out of an app', [files(['apps/api/../../README.md'])]],
    ['an absolute path', [files(['/apps/api/x.yaml'])]],
    ['a Windows-style path', [files(['apps\\api\\x.yaml'])]],
    ['a number in a list', [files([1])]],
    ['an object in a list', [files([{ toString: 'apps/api/x' }])]],
    ['a list that is a string', [{ id: 'c', added: 'apps/api/x', modified: [], removed: [] }]],
    ['a commit that is null', [null]],
    ['__proto__ in a commit', JSON.parse('[{"__proto__":{"added":["apps/api/x"]},"id":"c"}]')],
    ['commits as an object', { length: 1, 0: files(['apps/api/x.yaml']) }],
    [
      'GitHub’s cap of commits',
      Array.from({ length: MAX_PUSH_COMMITS }, () => files(['apps/api/x.yaml'])),
    ],
    [
      'more paths than are read',
      [files(Array.from({ length: MAX_LISTED_PATHS + 1 }, (_, i) => `apps/api/${i}`))],
    ],
  ])('%s: every app', async (_, commits) => {
    const { status, apps, answer } = await deliver(commits);
    expect(status).toBe(202);
    expect(apps).toEqual(['web', 'api']);
    expect(answer.apps).toEqual(['web', 'api']);
  });

  it('valid paths beside a `__proto__` key still count: exactly the apps they reach', async () => {
    const { apps, answer } = await deliver([files(['apps/api/x.yaml'])]);
    expect(answer).toMatchObject({ apps: ['api'], untouched: 1 });
    expect(apps).toEqual(['api']);
  });
});
