/**
 * The webhook boundary (findings 5 and 6, webhook side): only the trusted configuration is
 * read inside a request, bounded in size and parsed in linear time; slow bodies are cut off;
 * a delivery's fields (a 900 KB ref, a huge event header, an error quoting them) reach answers
 * and logs clipped; payload keys such as `__proto__` stay data.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REPO_CONFIG_BYTES } from '../../../lib/config/parse-repo-config.ts';
import { GitHubError } from '../../../lib/errors.ts';
import type { Job } from '../../../lib/jobs/job.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { RecordingQueue } from '../../../lib/ports/queue.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { createApp, type WebhookDeps } from '../../../lib/webhook/app.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import {
  pushDelivery,
  signedDelivery,
  type WebhookDelivery,
} from '../../github-server/webhook-delivery.ts';

const SECRET = 'webhook-secret';
const ZERO = '0'.repeat(40);
const trusted = 'apps:\n  - {name: web, path: apps/web, target: dev, namespace: web}\n';

/** A `plumbline.yaml` of `keys` distinct top-level keys (what a hostile branch pushes). */
function manyKeys(keys: number): string {
  return Array.from({ length: keys }, (_, i) => `k${i}: ${i}`).join('\n');
}

function setup(overrides: Partial<WebhookDeps> = {}) {
  const gitHost = new MemoryGitHost();
  const main = gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': trusted });
  const queue = new RecordingQueue<Job>();
  const logger = new MemoryLogger();
  const app = createApp({
    secrets: [SECRET],
    registry: new StaticRepoRegistry(['acme/deploy']),
    gitHostFor: () => gitHost,
    queue,
    logger,
    ...overrides,
  });
  const post = (delivery: WebhookDelivery) =>
    app.request('/webhooks/github', {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
  return { app, gitHost, queue, logger, post, main };
}

describe('the webhook reads only the trusted configuration, bounded', () => {
  it('never reads the plumbline.yaml of the pushed branch, however large', async () => {
    const { post, gitHost, queue } = setup();
    const big = gitHost.commit('acme/deploy', 'big', { 'plumbline.yaml': manyKeys(30_000) });
    const response = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'big',
        before: ZERO,
        after: big,
      }),
    );
    expect(await response.json()).toMatchObject({ status: 'ignored' });
    expect(queue.sent).toEqual([]);
    expect(gitHost.calls.filter((c) => c.includes(big))).toEqual([]);
    expect(gitHost.calls.filter((c) => c.startsWith('readFile'))).toHaveLength(1);
  });

  it('refuses a trusted plumbline.yaml over the size bound without parsing it', async () => {
    const { post, gitHost, queue, logger, main } = setup();
    const text = manyKeys(30_000);
    expect(text.length).toBeGreaterThan(MAX_REPO_CONFIG_BYTES);
    const head = gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': text });
    const response = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before: main,
        after: head,
      }),
    );
    expect(await response.json()).toEqual({
      status: 'ignored',
      reason: 'the trusted plumbline.yaml is invalid',
    });
    expect(queue.sent).toEqual([]);
    expect(logger.entries.find((e) => e.level === 'error')?.message).toContain(
      `Plumbline reads at most ${MAX_REPO_CONFIG_BYTES}`,
    );
  });

  it('reports at most 20 problems of a trusted file just under the bound', async () => {
    const { post, gitHost, logger, main } = setup();
    // ~19k unknown keys and one repeated key per hundred: every problem is found in one pass,
    // twenty are reported.
    const lines = Array.from({ length: 19_000 }, (_, i) => `k${i % 100 === 99 ? i - 1 : i}: 1`);
    const text = `apps: []\n${lines.join('\n')}\n`;
    expect(text.length).toBeLessThan(MAX_REPO_CONFIG_BYTES);
    const head = gitHost.commit('acme/deploy', 'main', { 'plumbline.yaml': text });
    await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before: main,
        after: head,
      }),
    );
    const message = logger.entries.find((e) => e.level === 'error')?.message ?? '';
    expect(message).toContain('plumbline.yaml: 20 problems');
    expect(message.split('\n').length).toBeLessThanOrEqual(21);
    expect(message).toContain("key 'k98' appears twice");
  });
});

describe('slow and oversized deliveries', () => {
  it('answers 408 to a body that does not arrive within the deadline, and asks for a new connection', async () => {
    const { app, queue } = setup({ bodyTimeoutMs: 100 });
    let cancelled = false;
    const never = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"ref": "refs/heads/ma'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = await app.request('/webhooks/github', {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'slow' },
      body: never,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(408);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({
      status: 'refused',
      reason: 'request body did not arrive within 100 ms',
    });
    expect(cancelled).toBe(true);
    expect(queue.sent).toEqual([]);
  });

  it('drains a refused body so the connection stays usable, and closes only one too large to drain', async () => {
    const { app } = setup({ maxBodyBytes: 1024 });
    let read = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (read >= 200_000) return controller.close();
        read += 10_000;
        controller.enqueue(new Uint8Array(10_000));
      },
    });
    const drained = await app.request('/webhooks/github', {
      method: 'POST',
      headers: { 'x-github-event': 'push' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(drained.status).toBe(413);
    expect(read).toBe(200_000);
    expect(drained.headers.get('connection')).toBeNull();
    const huge = await app.request('/webhooks/github', {
      method: 'POST',
      headers: { 'content-length': String(100 * 1024 * 1024), 'x-github-event': 'push' },
      body: 'x',
    });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('connection')).toBe('close');
  });
});

describe('delivery fields reach answers and logs clipped', () => {
  it('clips a 900 KB ref in the answer and the log', async () => {
    const { post, logger, main } = setup();
    const ref = `refs/tags/${'x'.repeat(900_000)}`;
    const response = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: ref,
        before: main,
        after: main,
      }),
    );
    const answer = (await response.json()) as { reason: string };
    expect(answer.reason.length).toBeLessThan(200);
    expect(answer.reason.endsWith('… is not a branch')).toBe(true);
    expect(JSON.stringify(logger.entries).length).toBeLessThan(2_000);
  });

  it('clips an error quoting a huge value in the 502 answer and the log', async () => {
    const failing = new MemoryGitHost();
    failing.defaultBranch = async () => {
      throw new GitHubError(`acme/deploy: cannot read '${'y'.repeat(900_000)}'`, 0);
    };
    const { post, logger } = setup({ gitHostFor: () => failing });
    const response = await post(
      await pushDelivery({
        secret: SECRET,
        repo: 'acme/deploy',
        branch: 'main',
        before: ZERO,
        after: 'a'.repeat(40),
      }),
    );
    expect(response.status).toBe(502);
    expect(JSON.stringify(await response.json()).length).toBeLessThan(400);
    expect(JSON.stringify(logger.entries).length).toBeLessThan(2_000);
  });

  it('clips huge event and delivery headers', async () => {
    const { post, logger } = setup();
    const delivery = await signedDelivery('ping', '{}', SECRET);
    const response = await post({
      ...delivery,
      headers: {
        ...delivery.headers,
        'x-github-event': `e${'v'.repeat(8_000)}`,
        'x-github-delivery': 'd'.repeat(8_000),
      },
    });
    expect(response.status).toBe(202);
    expect(JSON.stringify(await response.json()).length).toBeLessThan(200);
    expect(JSON.stringify(logger.entries).length).toBeLessThan(1_000);
  });
});

describe('payload keys stay data', () => {
  it('handles __proto__, constructor and prototype keys in a push without touching prototypes', async () => {
    const { post, queue, main } = setup();
    const delivery = await pushDelivery({
      secret: SECRET,
      repo: 'acme/deploy',
      branch: 'main',
      before: ZERO,
      after: main,
    });
    const payload = JSON.parse(delivery.body) as Record<string, unknown>;
    const body = JSON.stringify(payload).replace(
      /^\{/,
      '{"__proto__": {"polluted": true, "ref": "refs/heads/evil"}, "constructor": {"prototype": {"polluted": true}}, "repository": {"__proto__": {"full_name": "evil/x"}, "full_name": "acme/deploy"}, ',
    );
    // The later `repository` key wins, as in any JSON parser; the signature covers the bytes.
    const hostile = await signedDelivery('push', body, SECRET);
    const response = await post(hostile);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'accepted',
      apps: ['web'],
      reason: 'new branch: no previous commit to compare with',
    });
    expect(queue.sent.map((s) => s.message)).toEqual([
      {
        kind: 'reconcile',
        repo: 'acme/deploy',
        app: 'web',
        branch: 'main',
        deliveryId: hostile.deliveryId,
      },
    ]);
    expect(Object.keys(queue.sent[0]?.message ?? {})).not.toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('ref');
  });
});
