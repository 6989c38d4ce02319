/**
 * The credentials of a GitHub App registered from the setup page, kept by the Node runtime in
 * a settings file of its own in the data directory (`github-app.yaml`, mode 0600, written
 * whole or not at all). It is read at start-up when the environment names no GitHub App or
 * token, so a registered App keeps working after a restart; the operator's own settings file
 * is never rewritten (it may be read-only, managed elsewhere, or commented by hand).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import type { RegisteredApp } from '../../lib/github/app-manifest.ts';

/** The file's name in the data directory. */
export const GITHUB_APP_FILE = 'github-app.yaml';

/** What the runtime reads back. */
export interface SavedGitHubApp {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  slug?: string;
}

/** The file of a data directory. */
export function githubAppFile(dataDir: string): string {
  return join(dataDir, GITHUB_APP_FILE);
}

/** Writes the App's credentials to `file` (0600, atomically); throws a `ConfigError` naming it. */
export function saveGitHubApp(file: string, app: RegisteredApp): void {
  const text = `# A GitHub App registered from Plumbline's setup page on ${new Date().toISOString()}.\n# Keep this file private (mode 0600); delete it to unregister the App from this server.\n${stringify(
    {
      appId: String(app.id),
      slug: app.slug,
      htmlUrl: app.htmlUrl,
      webhookSecret: app.webhookSecret,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      privateKey: app.privateKey,
    },
  )}`;
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Created 0600 from the start: the key is never readable by others, not even briefly.
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written where nothing can be.
    }
    throw new ConfigError(
      `${file}: cannot save the GitHub App's credentials: ${messageOf(error)}`,
      {
        file,
        hint: 'Make the data directory writable by the user Plumbline runs as (or set dataDir / PLUMBLINE_DATA_DIR to one that is), then register again; or set the values shown as environment variables.',
        cause: error,
      },
    );
  }
}

/** The saved App of a data directory, or undefined when there is none. */
export function readGitHubApp(file: string): SavedGitHubApp | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new Error('it is readable by other users: run chmod 600 on it');
    }
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the saved GitHub App: ${messageOf(error)}`, {
      file,
      cause: error,
    });
  }
  const record = (raw ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : '');
  const app = {
    appId: text('appId'),
    privateKey: text('privateKey'),
    webhookSecret: text('webhookSecret'),
  };
  if (
    !/^\d+$/.test(app.appId) ||
    !app.privateKey.includes('PRIVATE KEY') ||
    app.webhookSecret === ''
  ) {
    throw new ConfigError(
      `${file}: the saved GitHub App lacks appId, privateKey or webhookSecret`,
      {
        file,
        hint: 'Delete the file and register the App again from the setup page, or set PLUMBLINE_GITHUB_APP_ID and its key in the environment.',
      },
    );
  }
  return { ...app, ...(text('slug') ? { slug: text('slug') } : {}) };
}
