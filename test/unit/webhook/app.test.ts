import { describe, expect, it } from 'vitest';
import { GitHubError } from '../../../lib/errors.ts';
import type { Job } from '../../../lib/jobs/job.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { RecordingQueue } from '../../../lib/ports/queue.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { createApp, type WebhookDeps } from '../../../lib/webhook/app.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import {
  pingDelivery,
  pullRequestDelivery,
  pushDelivery,
  signedDelivery,
  type WebhookDelivery,
} from '../../github-server/webhook-delivery.ts';

const SECRET = 'current-webhook-secret';
const OLD_SECRET = 'previous-webhook-secret';
const ZERO = '0'.repeat(40);

const config = (extra = '') => `apps:
  - name: web
    path: apps/web
    target: staging
    namespace: web
  - name: api
    path: apps/api
    target: staging
    namespace: api
  - name: web-release
    path: apps/web
    target: staging
    namespace: web
    branch: release
${extra}`;

function setup(overrides: Partial<WebhookDeps> = {}) {
  const gitHost = new MemoryGitHost();
  const before = gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': config() });
  const after = gitHost.commit('acme/deploy', 'main', {
    'plumbline.yaml': config(),
    'apps/web/a.yaml': 'x',
  });
  const queue = new RecordingQueue<Job>();
  const logger = new MemoryLogger();
  const app = createApp({
    secrets: [SECRET, OLD_SECRET],
    registry: new StaticRepoRegistry(['acme/deploy']),
    gitHostFor: () => gitHost,
    queue,
    logger,
    ...overrides,
  });
  const post = (delivery: WebhookDelivery, init: RequestInit = {}) =>
    app.request('/webhooks/github', {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      ...init,
    });
  return { app, gitHost, queue, logger, post, before, after };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('webhook: push', () => {
  it('enqueues a reconcile job for every app tracking the pushed branch when a shared file changed', async () => {
    const { post, queue, before, after } = setup();
    // GitHub's example commit adds README.md: outside every app's path.
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    const response = await post(delivery);
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'accepted',
      apps: ['web', 'api'],
      reason: "README.md is outside every app's path",
    });
    expect(queue.sent.map((s) => s.message)).toEqual([
      {
        kind: 'reconcile',
        repo: 'acme/deploy',
        app: 'web',
        branch: 'main',
        deliveryId: delivery.deliveryId,
        since: before,
      },
      {
        kind: 'reconcile',
        repo: 'acme/deploy',
        app: 'api',
        branch: 'main',
        deliveryId: delivery.deliveryId,
        since: before,
      },
    ]);
  });

  it('enqueues jobs only for the apps whose path holds a changed file, and counts the others', async () => {
    const { post, queue, logger, before, after } = setup();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
      commits: [{ id: after, added: ['apps/web/a.yaml'], modified: [], removed: [] }],
    });
    const response = await post(delivery);
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'accepted',
      apps: ['web'],
      untouched: 1,
      reason: '1 changed file under the paths of 1 app',
    });
    expect(queue.sent.map((s) => s.message)).toEqual([
      {
        kind: 'reconcile',
        repo: 'acme/deploy',
        app: 'web',
        branch: 'main',
        deliveryId: delivery.deliveryId,
        since: before,
      },
    ]);
    expect(logger.entries.at(-1)?.fields).toMatchObject({ apps: ['web'], untouched: 1 });
  });

  it('enqueues nothing when no changed file reaches an app of the branch', async () => {
    const { post, queue, before } = setup();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after: before,
      commits: [],
    });
    const response = await post(delivery);
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: 'no changed file reaches the 2 apps tracking branch main',
      apps: [],
      untouched: 2,
    });
    expect(queue.sent).toEqual([]);
  });

  it.each([
    ['a force push', { forced: true }, 'force push: history was rewritten'],
    ['a new branch', { before: ZERO }, 'new branch: no previous commit to compare with'],
    [
      'a payload without commits',
      { commits: undefined, drop: true },
      'the delivery lists no commits',
    ],
  ])(
    'enqueues every app of the branch for %s, however few files it lists',
    async (_, o, reason) => {
      const { post, queue, before, after } = setup();
      const options = o as { forced?: boolean; before?: string; drop?: boolean };
      const delivery = await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before: options.before ?? before,
        after,
        commits: [{ id: after, added: ['apps/web/a.yaml'], modified: [], removed: [] }],
        ...(options.forced ? { forced: true } : {}),
      });
      let body = delivery;
      if (options.drop) {
        const payload = JSON.parse(delivery.body) as Record<string, unknown>;
        delete payload.commits;
        body = await signedDelivery('push', JSON.stringify(payload), SECRET);
      }
      const response = await post(body);
      expect(await json(response)).toEqual({ status: 'accepted', apps: ['web', 'api'], reason });
      expect(queue.sent).toHaveLength(2);
    },
  );

  it('reads plumbline.yaml at the branch head, not at the pushed commit', async () => {
    const { post, queue, gitHost, before, after } = setup();
    // A later push landed before this delivery was handled: its config adds an app.
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config(
        `  - name: late\n    path: apps/late\n    target: staging\n    namespace: late\n`,
      ),
    });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'main', before, after }),
    );
    expect(await json(response)).toMatchObject({ apps: ['web', 'api', 'late'] });
    // Jobs never carry a commit: the consumer re-reads the head.
    expect(JSON.stringify(queue.sent)).not.toContain(after);
  });

  it('accepts a delivery signed with a previous secret during a rotation', async () => {
    const { post, queue, before, after } = setup();
    const response = await post(
      await pushDelivery({
        secret: OLD_SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before,
        after,
      }),
    );
    expect(response.status).toBe(202);
    expect(queue.sent).toHaveLength(2);
  });

  it('matches the repository name case-insensitively and enqueues its configured name', async () => {
    const { post, queue, before, after } = setup();
    await post(
      await pushDelivery({ secret: SECRET, repo: 'ACME/Deploy', branch: 'main', before, after }),
    );
    expect(queue.sent[0]?.message.repo).toBe('acme/deploy');
  });

  it('ignores a repository that is not configured, without reading it', async () => {
    const { post, queue, gitHost, logger, before, after } = setup();
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'evil/other', branch: 'main', before, after }),
    );
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: 'repository evil/other is not configured here',
    });
    expect(queue.sent).toEqual([]);
    expect(gitHost.calls).toEqual([]);
    expect(logger.find('webhook push: ignored')[0]?.fields.reason).toBe(
      'repository evil/other is not configured here',
    );
  });

  it('ignores a branch no app tracks', async () => {
    const { post, queue, gitHost, before, after } = setup();
    gitHost.commit('acme/deploy', 'feature', { 'plumbline.yaml': config() });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'feature', before, after }),
    );
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: 'no app of the trusted configuration (plumbline.yaml on main) tracks branch feature',
    });
    expect(response.status).toBe(202);
    expect(queue.sent).toEqual([]);
  });

  it('ignores tags and deleted branches', async () => {
    const { post, queue, gitHost, before, after } = setup();
    const tag = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'refs/tags/v1',
        before,
        after,
      }),
    );
    expect(await json(tag)).toEqual({ status: 'ignored', reason: 'refs/tags/v1 is not a branch' });
    const deleted = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before,
        after: ZERO,
      }),
    );
    expect(await json(deleted)).toEqual({ status: 'ignored', reason: 'branch main was deleted' });
    expect(queue.sent).toEqual([]);
    expect(gitHost.calls).toEqual([]);
  });

  it('ignores a push when the trusted branch has no plumbline.yaml', async () => {
    const { post, queue, gitHost, before, after } = setup();
    gitHost.commit('acme/deploy', 'main', { 'README.md': '# hi' });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'main', before, after }),
    );
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: 'no plumbline.yaml on the trusted branch',
    });
    expect(queue.sent).toEqual([]);
  });

  it('logs an invalid trusted plumbline.yaml with its line and enqueues nothing', async () => {
    const { post, queue, gitHost, logger, before, after } = setup();
    gitHost.commit('acme/deploy', 'main', {
      'plumbline.yaml': config().replace(
        '    namespace: api\n',
        '    namespace: api\n    prune: maybe\n',
      ),
    });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'main', before, after }),
    );
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: 'the trusted plumbline.yaml is invalid',
    });
    expect(queue.sent).toEqual([]);
    const logged = logger.entries.find((e) => e.level === 'error');
    expect(logged?.message).toBe(
      "acme/deploy: trusted plumbline.yaml: plumbline.yaml:10: apps[1].prune: must be true or false, not the string 'maybe'",
    );
    expect(logged?.fields).toMatchObject({ file: 'plumbline.yaml', line: 10 });
  });

  it('answers 502 when GitHub cannot be read, so the delivery shows as failed', async () => {
    const failing = new MemoryGitHost();
    failing.defaultBranch = async () => 'main';
    failing.branchHead = async () => {
      throw new GitHubError(
        "acme/deploy: cannot read branch 'main': GitHub could not be reached",
        0,
      );
    };
    const { post, queue, before, after } = setup({ gitHostFor: () => failing });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'main', before, after }),
    );
    expect(response.status).toBe(502);
    expect(await json(response)).toEqual({
      status: 'refused',
      reason: "acme/deploy: cannot read branch 'main': GitHub could not be reached",
    });
    expect(queue.sent).toEqual([]);
  });
});

describe('webhook: verification', () => {
  it('refuses a delivery signed with an unknown secret (401), doing nothing', async () => {
    const { post, queue, gitHost, logger, before, after } = setup();
    const response = await post(
      await pushDelivery({
        secret: 'attacker-guess',
        repo: 'acme/deploy',
        branch: 'main',
        before,
        after,
      }),
    );
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      status: 'refused',
      reason: 'missing or invalid X-Hub-Signature-256',
    });
    expect(queue.sent).toEqual([]);
    expect(gitHost.calls).toEqual([]);
    expect(JSON.stringify(logger.entries)).not.toContain(SECRET);
  });

  it('refuses a missing or malformed signature header (401)', async () => {
    const { post, queue, before, after } = setup();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    const { 'x-hub-signature-256': _, ...unsigned } = delivery.headers;
    expect((await post({ ...delivery, headers: unsigned })).status).toBe(401);
    for (const bad of ['sha256=zz', 'sha1=0123', `sha256=${'0'.repeat(64)}`, '']) {
      const headers = { ...delivery.headers, 'x-hub-signature-256': bad };
      expect((await post({ ...delivery, headers })).status).toBe(401);
    }
    expect(queue.sent).toEqual([]);
  });

  it('refuses a body changed after signing (401)', async () => {
    const { post, queue, before, after } = setup();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    const tampered = delivery.body.replace('refs/heads/main', 'refs/heads/prod');
    expect((await post({ ...delivery, body: tampered })).status).toBe(401);
    // Whitespace matters too: the signature covers the raw bytes, not the parsed JSON.
    expect((await post({ ...delivery, body: `${delivery.body} ` })).status).toBe(401);
    expect(queue.sent).toEqual([]);
  });

  it('refuses everything when no secret is configured, and warns at start-up', async () => {
    const { post, logger, before, after } = setup({ secrets: [] });
    expect(logger.find('no webhook secret configured')).toHaveLength(1);
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    expect((await post(delivery)).status).toBe(401);
  });

  it("accepts the SPECS test vector ('Hello, World!' signed with GitHub's example secret)", async () => {
    const { post } = setup({ secrets: ["It's a Secret to Everybody"] });
    const response = await post({
      deliveryId: 'vector',
      body: 'Hello, World!',
      headers: {
        'x-github-event': 'push',
        'x-github-delivery': 'vector',
        'x-hub-signature-256':
          'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
    });
    // Verified, then refused as a malformed body: the signature check passed.
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ status: 'refused', reason: 'body is not valid JSON' });
  });
});

describe('webhook: malformed and oversize bodies', () => {
  it('refuses a signed body that is not JSON, not an object, or not a push (400)', async () => {
    const { post, queue } = setup();
    for (const [body, reason] of [
      ['{"ref": ', 'body is not valid JSON'],
      ['[1, 2]', 'body is not a JSON object'],
      ['{"ref": "refs/heads/main"}', 'push payload is missing ref, after or repository'],
    ] as const) {
      const response = await post(await signedDelivery('push', body, SECRET));
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({ status: 'refused', reason });
    }
    expect(queue.sent).toEqual([]);
  });

  it('refuses a signed delivery without event or delivery id headers (400)', async () => {
    const { post } = setup();
    const delivery = await signedDelivery('ping', '{}', SECRET);
    const { 'x-github-event': _, ...headers } = delivery.headers;
    expect((await post({ ...delivery, headers })).status).toBe(400);
  });

  it('refuses a body whose Content-Length exceeds the bound (413), keeping none of it', async () => {
    const { post, queue, before, after } = setup({ maxBodyBytes: 1000 });
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    expect(delivery.body.length).toBeGreaterThan(1000);
    const response = await post({
      ...delivery,
      headers: { ...delivery.headers, 'content-length': String(delivery.body.length) },
    });
    expect(response.status).toBe(413);
    expect(await json(response)).toEqual({
      status: 'refused',
      reason: 'request body is larger than 1000 bytes',
    });
    expect(queue.sent).toEqual([]);
  });

  it('counts bytes while reading when Content-Length is absent or lies (413)', async () => {
    const { app, queue, before, after } = setup({ maxBodyBytes: 1000 });
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before,
      after,
    });
    const bytes = new TextEncoder().encode(delivery.body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256) controller.enqueue(bytes.slice(i, i + 256));
        controller.close();
      },
    });
    const response = await app.request('/webhooks/github', {
      method: 'POST',
      headers: { ...delivery.headers, 'content-length': '10' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(queue.sent).toEqual([]);
  });
});

describe('webhook: other events', () => {
  it('answers ping with 200', async () => {
    const { post } = setup();
    const response = await post(await pingDelivery(SECRET, 'acme/deploy'));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'pong' });
  });

  it('enqueues a plan job for opened, synchronize, reopened and closed pull requests', async () => {
    const { post, queue } = setup();
    for (const action of ['opened', 'synchronize', 'reopened', 'closed']) {
      const delivery = await pullRequestDelivery(SECRET, 'acme/deploy', action, { number: 7 });
      const response = await post(delivery);
      expect(response.status).toBe(202);
      expect(await json(response)).toEqual({ status: 'accepted', pullRequest: 7 });
      expect(queue.sent.at(-1)?.message).toEqual({
        kind: 'plan',
        repo: 'acme/deploy',
        number: 7,
        deliveryId: delivery.deliveryId,
      });
    }
    expect(queue.sent).toHaveLength(4);
  });

  it('ignores other pull request actions and unconfigured repositories', async () => {
    const { post, queue } = setup();
    const labeled = await post(await pullRequestDelivery(SECRET, 'acme/deploy', 'labeled'));
    expect(await json(labeled)).toEqual({
      status: 'ignored',
      reason: "pull request action 'labeled' is not planned",
    });
    const other = await post(await pullRequestDelivery(SECRET, 'acme/other', 'opened'));
    expect(await json(other)).toEqual({
      status: 'ignored',
      reason: 'repository acme/other is not configured here',
    });
    expect(queue.sent).toEqual([]);
  });

  it('refuses a pull_request payload without a number (400)', async () => {
    const { post, queue } = setup();
    const body = JSON.stringify({ action: 'opened', repository: { full_name: 'acme/deploy' } });
    const response = await post(await signedDelivery('pull_request', body, SECRET));
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      status: 'refused',
      reason: 'pull_request payload is missing action, number or repository',
    });
    expect(queue.sent).toEqual([]);
  });

  it('ignores other events with a reason', async () => {
    const { post } = setup();
    const response = await post(await signedDelivery('star', '{"action":"created"}', SECRET));
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({
      status: 'ignored',
      reason: "event 'star' is not handled",
    });
  });

  it('serves /healthz with the runtime-provided fields', async () => {
    const { app } = setup({ health: () => ({ queue: { running: 0 } }) });
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', queue: { running: 0 } });
  });
});

describe('StaticRepoRegistry', () => {
  it('refuses a malformed repository name at start-up', () => {
    expect(() => new StaticRepoRegistry(['acme/deploy', 'not-a-repo'])).toThrow(
      "repositories: 'not-a-repo' is not of the form owner/name",
    );
    expect(new StaticRepoRegistry(['Acme/Deploy']).all()).toEqual([
      { fullName: 'Acme/Deploy', ref: { owner: 'Acme', repo: 'Deploy' } },
    ]);
  });

  it('ignores a push naming a repository that is served as a Git source (polled, not GitHub)', async () => {
    const { post, queue, gitHost, before, after } = setup({
      registry: new StaticRepoRegistry([
        { fullName: 'acme/deploy', git: { url: '/srv/git/deploy', pollIntervalSeconds: 60 } },
      ]),
    });
    const response = await post(
      await pushDelivery({ secret: SECRET, repo: 'acme/deploy', branch: 'main', before, after }),
    );
    expect(await response.json()).toEqual({
      status: 'ignored',
      reason: 'repository acme/deploy is not configured here',
    });
    expect(queue.sent).toEqual([]);
    expect(gitHost.calls).toEqual([]);
  });
});
