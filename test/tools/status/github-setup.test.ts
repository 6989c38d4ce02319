import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubAppFile, saveGitHubApp } from '../../../functions/node/github-app-file.ts';
import { convertManifestCode } from '../../../lib/github/app-manifest.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import type { CredentialsKeeper } from '../../../lib/status/github-setup.ts';
import { createStatusApp } from '../../../lib/status/status-app.ts';
import { keepScreenshot, launchBrowser, type TestBrowser } from '../../env/browser.ts';
import { checkResponse, gitHubOpenApi } from '../../github-server/openapi-contract.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';
import { pingDelivery } from '../../github-server/webhook-delivery.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

let github: GitHubServer;
let dir: string;

beforeAll(async () => {
  github = await startGitHubServer();
  dir = mkdtempSync(join(tmpdir(), 'plumbline-setup-'));
});

afterAll(async () => {
  await github?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What GitHub's "Create GitHub App" button does: a code for the manifest, and the state. */
async function registerOnGitHub(state = 'the-state'): Promise<string> {
  const body = new URLSearchParams({
    manifest: JSON.stringify({
      name: 'plumbline-test',
      redirect_url: 'http://127.0.0.1:1/setup/github/callback',
    }),
  });
  const response = await fetch(`${github.url}/settings/apps/new?state=${state}`, {
    method: 'POST',
    body,
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(location.searchParams.get('state')).toBe(state);
  return location.searchParams.get('code') ?? '';
}

/** The status app with GitHub setup, in process, keeping credentials with `keeper`. */
function setupApp(keeper: CredentialsKeeper, logger = new MemoryLogger()) {
  let configured = false;
  const app = createStatusApp({
    history: {
      record: async () => {},
      list: async () => [],
      get: async () => undefined,
      apps: async () => [],
    },
    access: { mode: 'open' },
    logger,
    setup: {
      configured: () => configured,
      githubApiUrl: github.url,
      exchange: (code) => convertManifestCode(new Octokit({ baseUrl: github.url }), code),
      keeper:
        keeper.kind === 'settings-file'
          ? {
              kind: 'settings-file',
              save: async (registered) => {
                const file = await keeper.save(registered);
                configured = true;
                return file;
              },
            }
          : keeper,
      logger,
    },
  });
  return { app, logger };
}

/** The state cookie the setup page sets. */
async function stateCookie(app: ReturnType<typeof setupApp>['app']): Promise<string> {
  const page = await app.request('http://127.0.0.1:8080/setup/github');
  expect(page.status).toBe(200);
  const cookie = page.headers.get('set-cookie') ?? '';
  const value = /plumbline_setup_state=([0-9a-f]+)/.exec(cookie)?.[1];
  expect(value).toMatch(/^[0-9a-f]{48}$/);
  expect(cookie).toContain('HttpOnly');
  expect(cookie).toContain('SameSite=Lax');
  const html = await page.text();
  // The form posts the manifest and the state to GitHub.
  expect(html).toContain(`action="${github.url}/settings/apps/new?state=${value}"`);
  return value as string;
}

const callback = (
  app: ReturnType<typeof setupApp>['app'],
  code: string,
  state: string,
  cookie?: string,
) =>
  app.request(`http://127.0.0.1:8080/setup/github/callback?code=${code}&state=${state}`, {
    headers: cookie ? { cookie: `plumbline_setup_state=${cookie}` } : {},
  });

describe('the GitHub App manifest flow', () => {
  it("answers the code exchange as GitHub's OpenAPI description says, once per code", async () => {
    const doc = gitHubOpenApi();
    const code = await registerOnGitHub();
    const first = await fetch(`${github.url}/app-manifests/${code}/conversions`, {
      method: 'POST',
    });
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(
      checkResponse(doc, 'POST', `/app-manifests/${code}/conversions`, 201, body).errors,
    ).toEqual([]);
    expect(body.pem).toContain('BEGIN RSA PRIVATE KEY');
    const again = await fetch(`${github.url}/app-manifests/${code}/conversions`, {
      method: 'POST',
    });
    expect(again.status).toBe(404);
    expect(
      checkResponse(doc, 'POST', `/app-manifests/${code}/conversions`, 404, await again.json())
        .errors,
    ).toEqual([]);
  });

  it('asks for exactly the permissions and events Plumbline uses', async () => {
    const { app } = setupApp({ kind: 'wrangler' });
    const html = await (await app.request('http://127.0.0.1:8080/setup/github')).text();
    const manifest = JSON.parse(
      (/name="manifest" value="([^"]*)"/.exec(html)?.[1] ?? '')
        .replaceAll('&quot;', '"')
        .replaceAll('&amp;', '&'),
    );
    expect(manifest).toMatchObject({
      hook_attributes: { url: 'http://127.0.0.1:8080/webhooks/github', active: true },
      redirect_url: 'http://127.0.0.1:8080/setup/github/callback',
      public: false,
      default_events: ['push', 'pull_request'],
      default_permissions: {
        contents: 'read',
        pull_requests: 'write',
        issues: 'write',
        checks: 'write',
        statuses: 'write',
        deployments: 'write',
        metadata: 'read',
      },
    });
    // Behind 127.0.0.1 GitHub cannot deliver: the page says what to set.
    expect(html).toContain('PLUMBLINE_PUBLIC_URL');
  });

  it('refuses a callback whose state does not match, saving nothing', async () => {
    const file = join(dir, 'wrong-state', 'github-app.yaml');
    const { app, logger } = setupApp({
      kind: 'settings-file',
      save: async (a) => {
        saveGitHubApp(file, a);
        return file;
      },
    });
    const cookie = await stateCookie(app);
    const code = await registerOnGitHub('forged');
    const response = await callback(app, code, 'forged', cookie);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('its state does not match');
    expect(logger.find('state does not match')).toHaveLength(1);
    expect(() => statSync(file)).toThrow();
    // Without the cookie at all (another browser, or a link someone sent): refused the same way.
    expect((await callback(app, code, cookie)).status).toBe(400);
  });

  it('says an expired or reused code is refused by GitHub, on the page and in the log', async () => {
    const { app, logger } = setupApp({ kind: 'wrangler' });
    let cookie = await stateCookie(app);
    const code = await registerOnGitHub(cookie);
    github.expireManifestCodes();
    const expired = await callback(app, code, cookie, cookie);
    expect(expired.status).toBe(502);
    expect(await expired.text()).toContain(
      'GitHub refused the code (it expires after an hour and works once)',
    );
    expect(logger.find('GitHub App registration failed')).toHaveLength(1);

    cookie = await stateCookie(app);
    const fresh = await registerOnGitHub(cookie);
    expect((await callback(app, fresh, cookie, cookie)).status).toBe(200);
    cookie = await stateCookie(app);
    const reused = await callback(app, fresh, cookie, cookie);
    expect(reused.status).toBe(502);
    expect(await reused.text()).toContain('works once');
  });

  it('prints the wrangler secret put commands on Workers, and never logs the key', async () => {
    const { app, logger } = setupApp({ kind: 'wrangler', worker: 'plumbline' });
    const cookie = await stateCookie(app);
    const response = await callback(app, await registerOnGitHub(cookie), cookie, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('npx wrangler secret put GITHUB_APP_PRIVATE_KEY --name plumbline');
    expect(html).toContain('npx wrangler secret put PLUMBLINE_WEBHOOK_SECRETS --name plumbline');
    expect(html).toContain('BEGIN RSA PRIVATE KEY');
    expect(JSON.stringify(logger.entries)).not.toContain('PRIVATE KEY');
  });

  it('says a settings file that cannot be written cannot be, and keeps serving', async () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const file = join(blocker, 'github-app.yaml');
    const { app, logger } = setupApp({
      kind: 'settings-file',
      save: async (a) => {
        saveGitHubApp(file, a);
        return file;
      },
    });
    const cookie = await stateCookie(app);
    const response = await callback(app, await registerOnGitHub(cookie), cookie, cookie);
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain(`${file}: cannot save the GitHub App`);
    expect(html).toContain('Make the data directory writable');
    expect(html).toContain('PLUMBLINE_GITHUB_APP_ID=');
    expect(logger.find('could not be saved')).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).not.toContain('PRIVATE KEY');
    expect((await app.request('http://127.0.0.1:8080/setup/github')).status).toBe(200);
  });
});

describe('registering from the setup page of plumbline serve', () => {
  let serve: ServeProcess;
  let browser: TestBrowser;

  beforeAll(async () => {
    serve = await startServe({
      HOME: dir,
      PLUMBLINE_DATA_DIR: join(dir, 'serve-data'),
      PLUMBLINE_GITHUB_API_URL: github.url,
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('registers the App in the browser, saves it 0600 and uses it without a restart', async () => {
    const page = await browser.browser.newPage();
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Register a GitHub App' }).click();
    await page.waitForURL(/\/setup\/github$/);
    await keepScreenshot(page, 'setup');
    await page.getByRole('button', { name: 'Register a GitHub App' }).click();
    await page.waitForURL(/\/setup\/github\/callback\?code=/);
    const text = (await page.locator('main').textContent()) ?? '';
    const file = githubAppFile(join(dir, 'serve-data'));
    expect(text).toContain(`Its credentials are saved to ${file}`);
    expect(text).toContain('no restart needed');
    expect(text).not.toContain('PRIVATE KEY');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = readFileSync(file, 'utf8');
    expect(saved).toMatch(/appId: "\d+"/);
    const secret = /webhookSecret: ([0-9a-f]{40})/.exec(saved)?.[1] ?? '';
    // In use at once: the webhook accepts deliveries signed with the App's secret ...
    const delivery = await pingDelivery(secret, 'acme/deploy');
    const ping = await fetch(`${serve.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(ping.status).toBe(200);
    // ... and the setup page says credentials are configured.
    await page.goto(`${serve.url}/setup/github`);
    await expect(page.locator('.banner.ok').textContent()).resolves.toContain(
      'GitHub credentials are configured',
    );
    expect(serve.output()).toContain('GitHub App registered and in use');
    expect(serve.output()).not.toContain('PRIVATE KEY');
    await page.close();
  });
});
