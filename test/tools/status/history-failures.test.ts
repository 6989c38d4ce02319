/**
 * A history database that cannot be used, under a real `plumbline serve`: locked by another
 * process, or not a database at all. The server keeps serving webhooks and pages, the runs it
 * makes wait in memory and show on the page, the page and the log say what is wrong and what
 * to do, and once the lock is gone the waiting runs are written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyPath, sqliteHistory } from '../../../functions/node/sqlite-history.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pushDelivery } from '../../github-server/webhook-delivery.ts';
import { seedHistory } from './seed-history.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

const SECRET = 'history-failures-secret';
const TOKEN = 'gh-history-failures';
let git: TestGitRepo;
let github: GitHubServer;
let dir: string;

beforeAll(async () => {
  git = TestGitRepo.create();
  // The app names a target the operator never bound: every deploy fails, fast and for good.
  git.commit({
    'plumbline.yaml':
      'apps:\n  - name: web\n    path: apps/web\n    target: nowhere\n    namespace: web\n',
    'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
  });
  github = await startGitHubServer({ repos: { 'acme/deploy': git }, token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'plumbline-history-failures-'));
});

afterAll(async () => {
  await github?.close();
  git?.remove();
  rmSync(dir, { recursive: true, force: true });
});

function env(dataDir: string): Record<string, string> {
  return {
    HOME: dir,
    PLUMBLINE_DATA_DIR: dataDir,
    PLUMBLINE_WEBHOOK_SECRETS: SECRET,
    PLUMBLINE_REPOSITORIES: 'acme/deploy',
    PLUMBLINE_GITHUB_API_URL: github.url,
    GITHUB_TOKEN: TOKEN,
  };
}

async function push(serve: ServeProcess): Promise<void> {
  const delivery = await pushDelivery({
    secret: SECRET,
    repo: 'acme/deploy',
    branch: 'main',
    before: '0'.repeat(40),
    after: git.head('main'),
  });
  const response = await fetch(`${serve.url}/webhooks/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  expect(response.status).toBe(202);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a history database that cannot be used', () => {
  it('locked: runs wait in memory, the page and log say so, and are written once it is free', async () => {
    const dataDir = join(dir, 'locked');
    await seedHistory(dataDir);
    const serve = await startServe(env(dataDir));
    const holder = new DatabaseSync(historyPath(dataDir));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await push(serve);
      await until(
        async () => serve.output().includes('history: cannot write runs'),
        'the log line',
      );
      expect(serve.output()).toContain(
        `history database ${historyPath(dataDir)}: locked by another process`,
      );
      const page = await (await fetch(serve.url)).text();
      expect(page).toContain('History unavailable: ');
      expect(page).toContain('1 run(s) kept in memory until it can be written. Deploys go on.');
      // The waiting run is on the page already, with its failure.
      const api = (await (await fetch(`${serve.url}/api/v1/apps/acme%2Fdeploy/web`)).json()) as {
        runs: { outcome: string; failure?: { message: string } }[];
      };
      // A target the settings refuse fails the run (reported, not thrown).
      expect(api.runs[0]?.outcome).toBe('failed');
      expect(api.runs[0]?.failure?.message).toContain('nowhere');
      expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await push(serve);
    await until(async () => serve.output().includes('history: writable again'), 'the recovery');
    await serve.stop();
    const { store, database } = sqliteHistory(historyPath(dataDir));
    const web = await store.list({ repo: 'acme/deploy', app: 'web' });
    database.close();
    // The seeded runs, the one that waited and the one after.
    expect(web.filter((r) => r.failure?.message.includes('nowhere'))).toHaveLength(2);
  });

  it('not a database: the page says it is damaged and how to start again, and keeps serving', async () => {
    const dataDir = join(dir, 'corrupt');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      historyPath(dataDir),
      'PK\u0003\u0004 this is a zip file, not SQLite'.repeat(100),
    );
    const serve = await startServe(env(dataDir));
    try {
      const page = await fetch(serve.url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('damaged or not a SQLite database');
      expect(html).toContain(`Move ${historyPath(dataDir)} aside`);
      expect(serve.output()).toContain('history: cannot read the apps');
      await push(serve);
      await until(
        async () =>
          ((await (await fetch(`${serve.url}/api/v1/overview`)).json()) as { apps: unknown[] }).apps
            .length === 1,
        'the run in memory',
      );
      expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    } finally {
      await serve.stop();
    }
  });
});
