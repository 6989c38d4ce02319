import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/ports/clock.ts';
import { parseRepoFullName, repoFullName } from '../../../lib/ports/git-host.ts';
import { MemoryLock } from '../../../lib/ports/lock.ts';
import { jsonLogger, MemoryLogger } from '../../../lib/ports/logger.ts';
import { RecordingQueue } from '../../../lib/ports/queue.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';

describe('MemoryLock', () => {
  it('runs functions holding the same key one after another', async () => {
    const lock = new MemoryLock();
    const events: string[] = [];
    const task = (name: string, ms: number) =>
      lock.withLock('app', async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([task('a', 20), task('b', 1)]);
    expect(results).toEqual(['a', 'b']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(lock.heldKeys()).toEqual([]);
  });

  it('releases the key when the function throws', async () => {
    const lock = new MemoryLock();
    await expect(
      lock.withLock('app', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(lock.withLock('app', async () => 'next')).resolves.toBe('next');
  });

  it('lets different keys run at the same time', async () => {
    const lock = new MemoryLock();
    const events: string[] = [];
    await Promise.all(
      ['x', 'y'].map((key) =>
        lock.withLock(key, async () => {
          events.push(`start ${key}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          events.push(`end ${key}`);
        }),
      ),
    );
    expect(events.slice(0, 2)).toEqual(['start x', 'start y']);
  });
});

describe('Logger', () => {
  it('redacts fields that look like secrets, at any depth', () => {
    const logger = new MemoryLogger();
    logger.log('info', 'connected', {
      target: 'staging',
      token: 'abc',
      nested: { webhookSecret: 's3cr3t', count: 2 },
    });
    expect(logger.entries[0]).toEqual({
      level: 'info',
      message: 'connected',
      fields: {
        target: 'staging',
        token: '[redacted]',
        nested: { webhookSecret: '[redacted]', count: 2 },
      },
    });
  });

  it('writes one JSON object per line and honours the minimum level', () => {
    const lines: string[] = [];
    const logger = jsonLogger((line) => lines.push(line), new ManualClock('2026-02-03T04:05:06Z'));
    logger.log('debug', 'hidden');
    logger.log('warn', 'slow', { ms: 1200, password: 'x' });
    expect(lines).toEqual([
      '{"time":"2026-02-03T04:05:06.000Z","level":"warn","message":"slow","ms":1200,"password":"[redacted]"}\n',
    ]);
  });
});

describe('ManualClock', () => {
  it('moves only when advanced', () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:01.500Z');
  });
});

describe('RecordingQueue', () => {
  it('records messages with their options', async () => {
    const queue = new RecordingQueue<string>();
    await queue.send('a', { delaySeconds: 5 });
    expect(queue.sent).toEqual([{ message: 'a', options: { delaySeconds: 5 } }]);
  });
});

describe('MemorySecretStore', () => {
  it('returns held secrets by name and lists names only', async () => {
    const store = new MemorySecretStore({ 'staging-token': 'abc', boot: 'xyz' });
    expect(await store.get('staging-token')).toBe('abc');
    expect(await store.get('missing')).toBeUndefined();
    expect(store.names()).toEqual(['boot', 'staging-token']);
  });

  it('finds a secret under any name that normalizes to the same key', async () => {
    const normalize = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const store = new MemorySecretStore({ 'staging-token': 'abc' }, normalize);
    expect(await store.get('staging_token')).toBe('abc');
    expect(await store.get('STAGING-TOKEN')).toBe('abc');
    expect(await store.get('staging')).toBeUndefined();
  });
});

describe('repository names', () => {
  it('parses owner/name and refuses other shapes', () => {
    expect(parseRepoFullName('acme/deploy.config')).toEqual({
      owner: 'acme',
      repo: 'deploy.config',
    });
    expect(repoFullName({ owner: 'acme', repo: 'x' })).toBe('acme/x');
    for (const bad of ['acme', 'acme/x/y', '/x', 'acme/..', 'ac me/x']) {
      expect(parseRepoFullName(bad)).toBeUndefined();
    }
  });
});

describe('MemoryGitHost', () => {
  it('serves branch heads, trees and comparisons of committed snapshots', async () => {
    const host = new MemoryGitHost();
    const repo = { owner: 'acme', repo: 'deploy' };
    const first = host.commit('acme/deploy', 'main', { 'a.yaml': 'a', 'b.yaml': 'b' });
    const second = host.commit('acme/deploy', 'main', { 'a.yaml': 'A', 'c.yaml': 'c' });
    expect(await host.branchHead(repo, 'main')).toBe(second);
    expect((await host.treeAt(repo, first)).paths()).toEqual(['a.yaml', 'b.yaml']);
    expect(new TextDecoder().decode(await host.readFile(repo, second, 'a.yaml'))).toBe('A');
    expect(await host.readFile(repo, second, 'b.yaml')).toBeUndefined();
    expect(await host.compare(repo, first, second)).toEqual({
      base: first,
      head: second,
      truncated: false,
      files: [
        { path: 'a.yaml', status: 'modified' },
        { path: 'b.yaml', status: 'removed' },
        { path: 'c.yaml', status: 'added' },
      ],
    });
    await expect(host.branchHead(repo, 'dev')).rejects.toMatchObject({
      name: 'GitHubError',
      status: 404,
    });
    expect(host.calls[0]).toBe('branchHead acme/deploy main');
  });
});
