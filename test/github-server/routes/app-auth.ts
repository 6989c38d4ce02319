/**
 * GitHub App authentication: the installation of a repository (`GET /repos/{o}/{r}/installation`)
 * and installation tokens (`POST /app/installations/{id}/access_tokens`), both answered only to
 * a valid App JWT (RS256, signed with the App's key, `iss` = the App id, unexpired). Tokens are
 * scoped to the repositories asked for; the server's auth check honours that scope.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { userJson } from '../records.ts';
import { errorJson, notFound, type ServerState } from '../state.ts';

/** Verifies an App JWT from the `Authorization: Bearer` header. */
export function verifyAppJwt(state: ServerState, authorization: string | undefined): boolean {
  const app = state.app;
  const jwt = authorization?.replace(/^bearer\s+/i, '');
  if (!app || !jwt) return false;
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(app.publicKeyPem),
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    iss?: unknown;
    exp?: number;
  };
  return String(claims.iss) === String(app.appId) && (claims.exp ?? 0) * 1000 > Date.now();
}

function installationJson(state: ServerState, owner: string): Record<string, unknown> {
  const app = state.app as NonNullable<ServerState['app']>;
  const at = new Date(0).toISOString().replace('.000', '');
  return {
    id: app.installationId,
    account: userJson(state.baseUrl, owner),
    repository_selection: 'selected',
    access_tokens_url: `${state.baseUrl}/app/installations/${app.installationId}/access_tokens`,
    repositories_url: `${state.baseUrl}/installation/repositories`,
    html_url: `${state.baseUrl}/settings/installations/${app.installationId}`,
    app_id: app.appId,
    app_slug: 'plumbline',
    target_id: 1,
    target_type: 'Organization',
    permissions: { contents: 'read', checks: 'write' },
    events: ['push', 'pull_request'],
    created_at: at,
    updated_at: at,
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

/** Registers the routes on `app`. */
export function registerAppAuthRoutes(app: Hono, state: ServerState): void {
  const refuse = (c: Context) => errorJson(c, 401, 'A JSON web token could not be decoded');

  app.get('/repos/:owner/:repo/installation', (c) => {
    if (!verifyAppJwt(state, c.req.header('authorization'))) return refuse(c);
    const owner = c.req.param('owner') as string;
    if (!state.repos.has(`${owner}/${c.req.param('repo')}`)) return notFound(c);
    return c.json(installationJson(state, owner));
  });

  app.post('/app/installations/:id/access_tokens', async (c) => {
    if (!verifyAppJwt(state, c.req.header('authorization'))) return refuse(c);
    if (Number(c.req.param('id')) !== state.app?.installationId) return notFound(c);
    const body = (await c.req.json().catch(() => ({}))) as { repositories?: string[] };
    const owner = [...state.repos.keys()][0]?.split('/')[0] ?? '';
    const repos = (body.repositories ?? [...state.repos.keys()].map((r) => r.split('/')[1])).map(
      (name) => `${owner}/${name}`,
    );
    if (repos.some((r) => !state.repos.has(r))) {
      return errorJson(
        c,
        422,
        'There is at least one repository that does not exist or is not accessible to the parent installation.',
      );
    }
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    state.installationTokens.set(token, repos);
    const expires = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return c.json(
      {
        token,
        expires_at: expires,
        permissions: { contents: 'read' },
        repository_selection: 'selected',
      },
      201,
    );
  });
}
