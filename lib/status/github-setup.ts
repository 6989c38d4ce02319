/**
 * The GitHub setup page: when no GitHub credentials are configured it offers to register a
 * GitHub App through GitHub's manifest flow. The form carries the manifest and a random
 * `state`, also set as a cookie; GitHub redirects back with a one-time code and the state,
 * which must match the cookie (a callback another site sent the browser to is refused); the
 * code is exchanged for the App's credentials, which the runtime keeps (Node: written to a
 * settings file, 0600, and used at once) or prints as `wrangler secret put` commands (Workers:
 * a Worker cannot set its own secrets). Every failure is a clear page and a log line; the
 * credentials are never logged.
 */

import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { toHex } from '../core/encoding.ts';
import { messageOf, PlumblineError } from '../errors.ts';
import {
  APP_EVENTS,
  APP_PERMISSIONS,
  appManifest,
  githubWebUrl,
  newAppUrl,
  type RegisteredApp,
} from '../github/app-manifest.ts';
import type { Logger } from '../ports/logger.ts';
import { sameText } from './status-access.ts';
import { Fragment, h, messagePage, page, safeHref } from './status-pages.ts';

/** How the runtime keeps the credentials of a registered App. */
export type CredentialsKeeper =
  | {
      kind: 'settings-file';
      /** Saves the credentials and starts using them; resolves with the file written. */
      save(app: RegisteredApp): Promise<string>;
    }
  | {
      kind: 'wrangler';
      /** The Worker's name in `wrangler.toml`, for the commands printed. */
      worker?: string;
    };

/** What the setup routes need. */
export interface GitHubSetupDeps {
  /** True when the runtime has GitHub credentials (a token or an App). */
  configured(): boolean;
  githubApiUrl: string;
  /** Exchanges a manifest code for the App's credentials (`convertManifestCode`). */
  exchange(code: string): Promise<RegisteredApp>;
  keeper: CredentialsKeeper;
  logger: Logger;
  /** The deployment's public address (default: the address the request came to). */
  publicUrl?: string;
  /** The App's name on GitHub (default `plumbline-<host>`). */
  appName?: string;
}

const STATE_COOKIE = 'plumbline_setup_state';

function randomState(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(24)));
}

function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

function baseUrlOf(c: Context, deps: GitHubSetupDeps): string {
  return (deps.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** A page that must not be cached (it may show one-time secrets, or sets a one-time state). */
function noStore(c: Context): void {
  c.header('cache-control', 'no-store');
}

function render(c: Context, node: unknown, status = 200) {
  noStore(c);
  return c.html(`<!DOCTYPE html>${String(node)}`, status as 200);
}

function permissionsList() {
  return h(
    'ul',
    null,
    Object.entries(APP_PERMISSIONS).map(([name, access]) =>
      h('li', null, h('code', null, name), `: ${access}`),
    ),
    h(
      'li',
      null,
      'events: ',
      APP_EVENTS.map((e) => h('code', null, `${e} `)),
    ),
  );
}

/** The commands that set the App's credentials as the Worker's secrets. */
export function wranglerCommands(app: RegisteredApp, worker?: string): string {
  const name = worker ? ` --name ${worker}` : '';
  return [
    `# The App ${app.slug} (id ${app.id}); run from the directory of wrangler.toml.`,
    `# GITHUB_APP_ID is a var: set it in wrangler.toml [vars] (or as a secret):`,
    `printf '%s' '${app.id}' | npx wrangler secret put GITHUB_APP_ID${name}`,
    `cat <<'PEM' | npx wrangler secret put GITHUB_APP_PRIVATE_KEY${name}`,
    app.privateKey.trim(),
    'PEM',
    `printf '%s' '${app.webhookSecret.replaceAll("'", `'\\''`)}' | npx wrangler secret put PLUMBLINE_WEBHOOK_SECRETS${name}`,
  ].join('\n');
}

/** Registers `/setup/github` and its callback on `app` (behind the status guard). */
export function registerGitHubSetup(app: Hono, deps: GitHubSetupDeps): void {
  app.get('/setup/github', (c) => {
    if (deps.configured()) {
      return render(
        c,
        page(
          'GitHub setup',
          h(
            Fragment,
            null,
            h('h1', null, 'GitHub setup'),
            h(
              'div',
              { class: 'banner ok' },
              'GitHub credentials are configured. Plumbline reads repositories and reports on them with them.',
            ),
            h('p', null, 'A GitHub App for Plumbline needs these permissions and events:'),
            permissionsList(),
          ),
        ),
      );
    }
    const state = randomState();
    setCookie(c, STATE_COOKIE, state, {
      httpOnly: true,
      // GitHub's redirect back is a top-level navigation from github.com: Lax lets it carry this.
      sameSite: 'Lax',
      secure: secure(c),
      path: '/setup/github',
      maxAge: 3600,
    });
    const base = baseUrlOf(c, deps);
    const host = new URL(base).hostname;
    const organization = (c.req.query('organization') ?? '').trim();
    const validOrganization = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(organization)
      ? organization
      : undefined;
    const manifest = appManifest(base, deps.appName ?? `plumbline-${host}`.slice(0, 34));
    const action = newAppUrl(githubWebUrl(deps.githubApiUrl), state, validOrganization);
    return render(
      c,
      page(
        'GitHub setup',
        h(
          Fragment,
          null,
          h('h1', null, 'Register a GitHub App'),
          h(
            'p',
            null,
            'No GitHub credentials are configured. Register a GitHub App for this Plumbline: GitHub shows the App, you confirm, and Plumbline keeps its credentials.',
          ),
          deps.keeper.kind === 'wrangler'
            ? h(
                'p',
                { class: 'muted' },
                'On Cloudflare Workers the credentials cannot be saved by the Worker itself: after the registration this page prints the wrangler secret put commands to run.',
              )
            : null,
          LOOPBACK.test(host)
            ? h(
                'div',
                { class: 'banner' },
                `GitHub cannot deliver webhooks to ${host}. Set PLUMBLINE_PUBLIC_URL to this deployment's public address (or a tunnel's) before registering, or change the App's webhook URL afterwards.`,
              )
            : null,
          h('p', null, 'The App asks for exactly what Plumbline uses:'),
          permissionsList(),
          h(
            'form',
            { method: 'post', action },
            h('input', { type: 'hidden', name: 'manifest', value: JSON.stringify(manifest) }),
            h(
              'button',
              { type: 'submit' },
              validOrganization
                ? `Register a GitHub App for ${validOrganization}`
                : 'Register a GitHub App',
            ),
          ),
          h(
            'form',
            { method: 'get', action: '/setup/github' },
            h(
              'label',
              null,
              'Owned by an organization instead: ',
              h('input', {
                type: 'text',
                name: 'organization',
                value: organization,
                placeholder: 'organization',
              }),
            ),
            ' ',
            h('button', { type: 'submit' }, 'Use it'),
          ),
        ),
      ),
    );
  });

  app.get('/setup/github/callback', async (c) => {
    const expected = getCookie(c, STATE_COOKIE);
    const given = c.req.query('state') ?? '';
    const code = c.req.query('code') ?? '';
    // The state is good for one callback.
    deleteCookie(c, STATE_COOKIE, { path: '/setup/github', secure: secure(c) });
    if (!expected || !sameText(given, expected)) {
      deps.logger.log('warn', 'GitHub App registration refused: the state does not match', {
        cookie: expected ? 'present' : 'missing',
      });
      return render(
        c,
        messagePage(
          'GitHub App not registered',
          'This registration could not be verified: its state does not match the one this browser was given (it may have been started elsewhere, or already used). Nothing was saved. Start again from the GitHub setup page.',
        ),
        400,
      );
    }
    if (deps.configured()) {
      return render(
        c,
        messagePage(
          'GitHub App not registered',
          'GitHub credentials are already configured; nothing was changed.',
          'warn',
        ),
        409,
      );
    }
    let registered: RegisteredApp;
    try {
      registered = await deps.exchange(code);
    } catch (error) {
      const hint = error instanceof PlumblineError ? error.hint : undefined;
      deps.logger.log('error', 'GitHub App registration failed', { error: messageOf(error) });
      return render(
        c,
        messagePage(
          'GitHub App not registered',
          h(
            Fragment,
            null,
            messageOf(error),
            hint ? h('div', null, hint) : null,
            h('div', null, h('a', { href: '/setup/github' }, 'Start again')),
          ),
        ),
        502,
      );
    }
    const installUrl = safeHref(
      registered.htmlUrl ? `${registered.htmlUrl}/installations/new` : undefined,
    );
    const next = h(
      'p',
      null,
      'Next: ',
      installUrl
        ? h('a', { href: installUrl, rel: 'noopener noreferrer' }, 'install the App')
        : 'install the App',
      ' on the repositories Plumbline deploys from, and list them in the settings (repositories).',
    );
    if (deps.keeper.kind === 'wrangler') {
      deps.logger.log(
        'info',
        'GitHub App registered: its secrets are shown once on the setup page',
        { app: registered.slug, id: registered.id },
      );
      return render(
        c,
        page(
          'GitHub App registered',
          h(
            Fragment,
            null,
            h('h1', null, `GitHub App ${registered.name} registered`),
            h(
              'div',
              { class: 'banner warn' },
              'Shown once: GitHub gives the private key a single time. Run these commands now; a Worker cannot set its own secrets.',
            ),
            h('pre', null, wranglerCommands(registered, deps.keeper.worker)),
            next,
          ),
        ),
      );
    }
    try {
      const file = await deps.keeper.save(registered);
      deps.logger.log('info', 'GitHub App registered and in use', {
        app: registered.slug,
        id: registered.id,
        file,
      });
      return render(
        c,
        page(
          'GitHub App registered',
          h(
            Fragment,
            null,
            h('h1', null, `GitHub App ${registered.name} registered`),
            h(
              'div',
              { class: 'banner ok' },
              `Its credentials are saved to ${file} (readable by this user only) and in use now; no restart needed.`,
            ),
            next,
          ),
        ),
      );
    } catch (error) {
      deps.logger.log('error', 'GitHub App registered, but its credentials could not be saved', {
        app: registered.slug,
        id: registered.id,
        error: messageOf(error),
      });
      return render(
        c,
        page(
          'GitHub App credentials not saved',
          h(
            Fragment,
            null,
            h('h1', null, `GitHub App ${registered.name} registered, but not saved`),
            h(
              'div',
              { class: 'banner bad', role: 'alert' },
              messageOf(error),
              error instanceof PlumblineError && error.hint ? h('div', null, error.hint) : null,
            ),
            h(
              'p',
              null,
              'GitHub gives the private key once. Keep these values now and set them as PLUMBLINE_GITHUB_APP_ID, PLUMBLINE_GITHUB_APP_PRIVATE_KEY and PLUMBLINE_WEBHOOK_SECRETS:',
            ),
            h(
              'pre',
              null,
              `PLUMBLINE_GITHUB_APP_ID=${registered.id}\nPLUMBLINE_WEBHOOK_SECRETS=${registered.webhookSecret}\n${registered.privateKey.trim()}`,
            ),
            next,
          ),
        ),
        500,
      );
    }
  });
}
