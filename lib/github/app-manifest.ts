/**
 * Registering Plumbline as a GitHub App through GitHub's manifest flow: the manifest (the
 * permissions and events Plumbline uses, nothing more), the page GitHub shows it on, and the
 * exchange of the one-time code GitHub redirects back with for the App's credentials
 * (`POST /app-manifests/{code}/conversions`). The credentials are the runtime's to keep.
 */
import type { Octokit } from '@octokit/rest';
import { GitHubError } from '../errors.ts';

/**
 * What Plumbline calls, by permission (see `lib/github/octokit-git-host.ts` and docs/github.md):
 * contents (branch heads, archives, comparisons, files, commits), pull requests (re-reading a
 * pull request), issues (the plan comment and drift issues), checks (the plan check run),
 * statuses (`plumbline/<app>`), deployments; metadata is always granted.
 */
export const APP_PERMISSIONS = {
  contents: 'read',
  pull_requests: 'write',
  issues: 'write',
  checks: 'write',
  statuses: 'write',
  deployments: 'write',
  metadata: 'read',
} as const;

/** The webhook events Plumbline acts on (`lib/webhook/app.ts`). */
export const APP_EVENTS = ['push', 'pull_request'] as const;

/** The manifest GitHub registers the App from. */
export interface AppManifest {
  name: string;
  url: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  public: boolean;
  default_permissions: typeof APP_PERMISSIONS;
  default_events: readonly string[];
}

/** The manifest for a Plumbline deployment reached at `baseUrl` (no trailing slash). */
export function appManifest(baseUrl: string, name: string): AppManifest {
  return {
    name,
    url: baseUrl,
    hook_attributes: { url: `${baseUrl}/webhooks/github`, active: true },
    redirect_url: `${baseUrl}/setup/github/callback`,
    public: false,
    default_permissions: APP_PERMISSIONS,
    default_events: APP_EVENTS,
  };
}

/**
 * GitHub's web address for an API address: `https://api.github.com` -> `https://github.com`,
 * GitHub Enterprise Server's `https://host/api/v3` -> `https://host`; any other address (a
 * test server) serves both.
 */
export function githubWebUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/api/v3')) return `${url.origin}${path.slice(0, -'/api/v3'.length)}`;
  return `${url.origin}${path}`;
}

/** Where the manifest form posts: a personal App, or one owned by an organization. */
export function newAppUrl(webUrl: string, state: string, organization?: string): string {
  const owner = organization ? `/organizations/${encodeURIComponent(organization)}` : '';
  return `${webUrl}${owner}/settings/apps/new?state=${encodeURIComponent(state)}`;
}

/** What the code exchange returns: the App and its secrets. */
export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  owner?: string;
  htmlUrl: string;
  privateKey: string;
  webhookSecret: string;
  clientId: string;
  clientSecret: string;
}

/** A 40-hex-or-so code as GitHub sends it; anything else never reaches GitHub. */
const CODE = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Exchanges the code GitHub redirected back with for the App's credentials. An expired (one
 * hour) or already used code is refused by GitHub with 404 or 422: the error says to start
 * again. Never logs or quotes the credentials.
 */
export async function convertManifestCode(octokit: Octokit, code: string): Promise<RegisteredApp> {
  if (!CODE.test(code)) {
    throw new GitHubError('GitHub App registration: the code in the address is malformed', 400, {
      hint: 'Start the registration again from the setup page.',
    });
  }
  let data: Record<string, unknown>;
  try {
    ({ data } = (await octokit.rest.apps.createFromManifest({ code })) as unknown as {
      data: Record<string, unknown>;
    });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404 || status === 422) {
      throw new GitHubError(
        'GitHub App registration: GitHub refused the code (it expires after an hour and works once)',
        status,
        { hint: 'Start the registration again from the setup page.', cause: error },
      );
    }
    throw new GitHubError(
      `GitHub App registration: the code could not be exchanged (${typeof status === 'number' ? `HTTP ${status}` : 'no answer'})`,
      typeof status === 'number' ? status : 502,
      { hint: 'Check that Plumbline reaches the GitHub API, then start again.', cause: error },
    );
  }
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '');
  const owner = (data.owner as { login?: unknown } | null | undefined)?.login;
  const app: RegisteredApp = {
    id: typeof data.id === 'number' ? data.id : 0,
    slug: text('slug'),
    name: text('name'),
    ...(typeof owner === 'string' ? { owner } : {}),
    htmlUrl: text('html_url'),
    privateKey: text('pem'),
    webhookSecret: text('webhook_secret'),
    clientId: text('client_id'),
    clientSecret: text('client_secret'),
  };
  if (app.id <= 0 || !app.privateKey.includes('PRIVATE KEY') || app.webhookSecret === '') {
    throw new GitHubError(
      'GitHub App registration: GitHub answered without the App id, key or webhook secret',
      502,
      {
        hint: 'Start the registration again; if it keeps failing, create the App by hand (docs/github.md).',
      },
    );
  }
  return app;
}
