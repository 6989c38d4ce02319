/**
 * The browser of the status page tests: Debian's `chromium-headless-shell` (installed by
 * `install.sh chromium`, pinned by major in `versions.env`) driven by `playwright-core`
 * (pinned in package.json). Never a browser build a test tool downloads. Screenshots go to
 * `test-artifacts/status/` at the repository root (gitignored), and each path is printed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { testEnvRoot, versions } from './paths.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where screenshots of the status page tests are kept. */
export const ARTIFACTS_DIR = join(repoRoot, 'test-artifacts', 'status');

/**
 * Chromium's flags on this machine: no sandbox (tests run as root), no GPU, and none of the
 * background connections a closed network refuses at every start.
 */
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

/** The installed headless shell; throws naming the command that installs it. */
export function chromiumBinary(): string {
  const binary = versions.CHROMIUM_BINARY ?? '/usr/bin/chromium-headless-shell';
  const stamp = join(testEnvRoot(), `chromium-${versions.CHROMIUM_MAJOR}`);
  if (!existsSync(binary) || !existsSync(join(stamp, '.complete'))) {
    throw new Error(
      `test environment: chromium-headless-shell ${versions.CHROMIUM_MAJOR} is not installed (${binary}). ` +
        "Run 'bash test/env/install.sh chromium' (as root: it uses apt-get; npm test does it first).",
    );
  }
  const recorded = readFileSync(join(stamp, 'version'), 'utf8').trim();
  if (!recorded.startsWith(`Chromium ${versions.CHROMIUM_MAJOR}.`)) {
    throw new Error(
      `test environment: ${binary} is '${recorded}', not Chromium ${versions.CHROMIUM_MAJOR}. Run 'bash test/env/install.sh chromium'.`,
    );
  }
  return binary;
}

/** A launched browser. */
export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches the headless shell (playwright gives it a new, empty profile directory). */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumBinary(),
    args: LAUNCH_ARGS,
    timeout: 60_000,
  });
  return { browser, close: () => browser.close() };
}

/** Saves a full-page screenshot as `test-artifacts/status/<name>.png` and prints its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}
