/**
 * GitHub App registration through the manifest flow: the web form GitHub shows
 * (`POST /settings/apps/new`, `/organizations/{org}/settings/apps/new`; not API, so not in the
 * OpenAPI description: it only stands in for the user clicking "Create GitHub App") redirects
 * back with a one-time code, and `POST /app-manifests/{code}/conversions` exchanges the code
 * for the App's id, key and secrets (contract-checked). A code works once and expires after an
 * hour (`expireManifestCodes` makes them expire at once).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { userJson } from '../records.ts';
import { errorJson, type ServerState } from '../state.ts';

/** A registration waiting for its code to be exchanged. */
interface PendingApp {
  manifest: Record<string, unknown>;
  owner: string;
  createdAt: number;
  used: boolean;
}

const pending = new WeakMap<ServerState, Map<string, PendingApp>>();
const CODE_LIFETIME_MS = 3_600_000;

function pendingOf(state: ServerState): Map<string, PendingApp> {
  let map = pending.get(state);
  if (!map) {
    map = new Map();
    pending.set(state, map);
  }
  return map;
}

/** Makes every code issued so far expired. */
export function expireManifestCodes(state: ServerState): void {
  for (const app of pendingOf(state).values()) app.createdAt = 0;
}

async function newApp(c: Context, state: ServerState, owner: string) {
  const form = await c.req.parseBody();
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(String(form.manifest ?? ''));
  } catch {
    return c.text('Invalid manifest: not JSON', 422);
  }
  const redirect = typeof manifest.redirect_url === 'string' ? manifest.redirect_url : '';
  if (!/^https?:\/\//.test(redirect)) return c.text('Invalid manifest: redirect_url', 422);
  const code = randomBytes(20).toString('hex');
  pendingOf(state).set(code, { manifest, owner, createdAt: Date.now(), used: false });
  const state_ = c.req.query('state');
  const location = new URL(redirect);
  location.searchParams.set('code', code);
  if (state_ !== undefined) location.searchParams.set('state', state_);
  return c.redirect(location.href, 302);
}

/** Registers the routes on `app`. */
export function registerAppManifestRoutes(app: Hono, state: ServerState): void {
  app.post('/settings/apps/new', (c) => newApp(c, state, 'mona'));
  app.post('/organizations/:org/settings/apps/new', (c) => newApp(c, state, c.req.param('org')));

  app.post('/app-manifests/:code/conversions', (c) => {
    const found = pendingOf(state).get(c.req.param('code'));
    if (!found || found.used || Date.now() - found.createdAt > CODE_LIFETIME_MS) {
      return errorJson(c, 404, 'Not Found');
    }
    found.used = true;
    state.nextId += 1;
    const id = state.nextId;
    const name = String(found.manifest.name ?? 'app');
    const slug = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return c.json(
      {
        id,
        slug,
        node_id: Buffer.from(`App${id}`).toString('base64'),
        client_id: `Iv1.${randomBytes(8).toString('hex')}`,
        owner: userJson(state.baseUrl, found.owner),
        name,
        description: '',
        external_url:
          typeof found.manifest.url === 'string' && found.manifest.url !== ''
            ? found.manifest.url
            : state.baseUrl,
        html_url: `${state.baseUrl}/apps/${slug}`,
        created_at: at,
        updated_at: at,
        permissions: found.manifest.default_permissions ?? {},
        events: found.manifest.default_events ?? [],
        client_secret: randomBytes(20).toString('hex'),
        webhook_secret: randomBytes(20).toString('hex'),
        pem,
      },
      201,
    );
  });
}
