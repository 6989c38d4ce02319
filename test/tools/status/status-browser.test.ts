import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, launchBrowser, type TestBrowser } from '../../env/browser.ts';
import { seedHistory, XSS } from './seed-history.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

let dir: string;
let serve: ServeProcess;
let browser: TestBrowser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plumbline-status-'));
  await seedHistory(join(dir, 'data'));
  serve = await startServe({ HOME: dir, PLUMBLINE_DATA_DIR: join(dir, 'data') });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A page that fails the test if any script of the payloads ever runs. */
async function openPage(width: number, height: number): Promise<Page> {
  const page = await browser.browser.newPage({ viewport: { width, height } });
  page.on('dialog', (dialog) => {
    throw new Error(`a dialog opened: ${dialog.message()}`);
  });
  return page;
}

async function noScriptRan(page: Page): Promise<void> {
  expect(
    await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
  ).toBeUndefined();
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('the status page in a real browser', () => {
  it('shows every app with head and applied commits, sync, health, drift and last run', async () => {
    const page = await openPage(1280, 900);
    await page.goto(serve.url);
    await expect(page.title()).resolves.toBe('Apps · Plumbline');
    const rows = page.locator('table.cards tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    const web = rows.filter({ hasText: 'web' }).first();
    await expect(web.textContent()).resolves.toMatch(
      /staging.*2222222.*2222222.*synced.*healthy.*none.*free.*applied/s,
    );
    const api = rows.filter({ hasText: 'production' });
    await expect(api.textContent()).resolves.toMatch(/drifted.*\.spec\.replicas.*kubectl-scale/s);
    const worker = rows.filter({ hasText: 'worker' });
    await expect(worker.textContent()).resolves.toMatch(/4444444.*failed/s);
    // Commits link to GitHub; a javascript: page is shown as text, never a link.
    await expect(
      web.locator('a[href^="https://github.com/acme/deploy/commit/"]').count(),
    ).resolves.toBeGreaterThan(0);
    await expect(page.locator('a[href^="javascript:"]').count()).resolves.toBe(0);
    await noScriptRan(page);
    await keepScreenshot(page, 'overview');
    await page.close();
  });

  it('follows an app to its page: timeline, last plan diff (masked), and the state', async () => {
    const page = await openPage(1280, 900);
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'web', exact: true }).click();
    await page.waitForURL(/\/apps\/acme%2Fdeploy\/web$/);
    await expect(page.locator('h1').textContent()).resolves.toBe('web');
    const timeline = page.locator('ol.timeline > li');
    await expect(timeline.count()).resolves.toBe(3);
    await expect(timeline.first().textContent()).resolves.toContain(
      'Scale web to 3 and rotate the password',
    );
    const diff = await page.locator('pre.diff').textContent();
    expect(diff).toContain('+  replicas: 3');
    expect(diff).toContain('password: *** (changed)');
    await expect(page.getByText('pull request #7').first().isVisible()).resolves.toBe(true);
    await keepScreenshot(page, 'app');
    await page.close();
  });

  it('shows a failure with its file, line and hint', async () => {
    const page = await openPage(1280, 900);
    await page.goto(`${serve.url}/apps/acme%2Fdeploy/worker`);
    const failure = page.locator('.failure').first();
    await expect(failure.textContent()).resolves.toContain(
      'render failed: apps/worker/kustomization.yaml:3',
    );
    await expect(failure.textContent()).resolves.toContain(
      'Hint: Fix the path in resources, or add the file.',
    );
    await page.close();
  });

  it('keeps every hostile field as text, on the overview and on the app page', async () => {
    const page = await openPage(1280, 900);
    await page.goto(serve.url);
    const row = page.locator('table.cards tbody tr').filter({ hasText: XSS.app });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain(XSS.field);
    await row.getByRole('link', { name: XSS.app }).click();
    await page.waitForURL(/\/apps\//);
    await expect(page.locator('h1').textContent()).resolves.toBe(XSS.app);
    const text = (await page.locator('main').textContent()) ?? '';
    for (const payload of [XSS.title, XSS.author, XSS.diff, XSS.failure, XSS.field, XSS.repo]) {
      expect(text).toContain(payload);
    }
    await expect(
      page.locator('main script, main iframe, main svg, main img').count(),
    ).resolves.toBe(0);
    await expect(page.locator('a[href^="javascript:"]').count()).resolves.toBe(0);
    await page.mouse.move(10, 10);
    await noScriptRan(page);
    await page.close();
  });

  it('fits a phone: no horizontal overflow on the overview or an app page', async () => {
    const page = await openPage(375, 740);
    await page.goto(serve.url);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    // Rows become cards with their labels.
    await expect(page.locator('table.cards thead').isVisible()).resolves.toBe(false);
    await keepScreenshot(page, 'overview-phone');
    await page.goto(`${serve.url}/apps/acme%2Fdeploy/web`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await keepScreenshot(page, 'app-phone');
    await page.goto(`${serve.url}/apps/acme%2Fdeploy/api`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.close();
  });

  it('renders what the API serves', async () => {
    const overview = (await (await fetch(`${serve.url}/api/v1/overview`)).json()) as {
      apps: { app: string; sync: string; links: { page: string } }[];
    };
    expect(overview.apps.map((a) => [a.app, a.sync])).toEqual(
      expect.arrayContaining([
        ['web', 'synced'],
        ['api', 'drifted'],
        ['worker', 'failed'],
      ]),
    );
    const page = await openPage(1280, 900);
    for (const app of overview.apps) {
      await page.goto(`${serve.url}${app.links.page}`);
      await expect(page.locator('dl.facts').textContent()).resolves.toContain(app.sync);
    }
    await page.close();
  });
});

describe('the status page beyond loopback', () => {
  it('is off without a token, and asks for the token through a login form with one', async () => {
    const open = await startServe({ HOME: dir, PLUMBLINE_DATA_DIR: join(dir, 'data') }, [
      '--host',
      '0.0.0.0',
    ]);
    try {
      expect((await fetch(`${open.url}/`)).status).toBe(404);
      expect((await fetch(`${open.url}/api/v1/overview`)).status).toBe(404);
      expect(open.output()).toContain(
        'status page off: listening on 0.0.0.0 without PLUMBLINE_STATUS_TOKEN',
      );
      expect((await fetch(`${open.url}/healthz`)).status).toBe(200);
    } finally {
      await open.stop();
    }
    const guarded = await startServe(
      {
        HOME: dir,
        PLUMBLINE_DATA_DIR: join(dir, 'data'),
        PLUMBLINE_STATUS_TOKEN: 'status-token-1234567890',
      },
      ['--host', '0.0.0.0'],
    );
    try {
      expect((await fetch(`${guarded.url}/api/v1/overview`)).status).toBe(401);
      const bearer = await fetch(`${guarded.url}/api/v1/overview`, {
        headers: { authorization: 'Bearer status-token-1234567890' },
      });
      expect(bearer.status).toBe(200);
      const page = await openPage(1280, 900);
      await page.goto(`${guarded.url}/apps/acme%2Fdeploy/web`);
      await page.waitForURL(/\/login\?next=/);
      await page.locator('input[name=token]').fill('wrong');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain(
        'not the status token',
      );
      await page.locator('input[name=token]').fill('status-token-1234567890');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/apps\/acme%2Fdeploy\/web$/);
      await expect(page.locator('h1').textContent()).resolves.toBe('web');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'plumbline_status');
      expect(cookie?.httpOnly).toBe(true);
      expect(cookie?.value).not.toContain('status-token');
      await page.close();
      expect(guarded.output()).toContain('status page: login with a wrong token');
    } finally {
      await guarded.stop();
    }
  });
});
