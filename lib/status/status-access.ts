/**
 * Who may read the status page and its API. Read-only, but it names repositories, apps,
 * commits and errors, so it is never open to the world by accident:
 *
 * - `open`: anyone who reaches it. Node's default when it listens on a loopback address only.
 * - `token`: a bearer token (`PLUMBLINE_STATUS_TOKEN`) in `Authorization`, for scripts; or a
 *   session cookie the login form sets after the same token is typed, for people. The cookie
 *   holds an expiry and an HMAC of it keyed by the token (never the token), so it needs no
 *   server state (Workers have none to share) and changing the token ends every session.
 * - Cloudflare Access (Workers): a request Access let through carries a JWT signed by the
 *   team's keys for the application's audience; it is verified here too, so a request that
 *   reached the Worker around Access (workers.dev, another route) is refused.
 * - `off`: nothing configured where it would be needed: the routes answer 404.
 */

import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { fromBase64url, toBase64url } from '../core/encoding.ts';

/** Cloudflare Access in front of the Worker: the team and the application audience tag. */
export interface AccessSettings {
  /** The team domain, e.g. `acme.cloudflareaccess.com`. */
  teamDomain: string;
  /** The Access application's AUD tag. */
  audience: string;
}

/** How the status routes are guarded. */
export type StatusAccessPolicy =
  | { mode: 'open' }
  | { mode: 'off'; reason: string }
  | { mode: 'guarded'; token?: string; access?: AccessSettings; fetch?: typeof fetch };

/** The session cookie's name. */
export const SESSION_COOKIE = 'plumbline_status';

/** Sessions last this long. */
export const SESSION_MS = 12 * 3_600_000;

const encoder = new TextEncoder();

/** Compares in constant time, so a token cannot be guessed byte by byte from timings. */
export function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

async function hmac(key: string, message: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toBase64url(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message)));
}

/** A session cookie value valid until `expiresAt` (ms) for `token`. */
export async function sessionValue(token: string, expiresAt: number): Promise<string> {
  return `${expiresAt}.${await hmac(token, `plumbline-status-session:${expiresAt}`)}`;
}

/** True when `value` is a session of `token` that has not expired. */
export async function validSession(token: string, value: string, now: number): Promise<boolean> {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (!(expiresAt > now) || expiresAt > now + SESSION_MS) return false;
  return sameText(await sessionValue(token, expiresAt), value);
}

interface Jwk extends JsonWebKey {
  kid?: string;
}

const jwksCache = new Map<string, { keys: Jwk[]; fetchedAt: number }>();
const JWKS_TTL_MS = 3_600_000;
/**
 * A token signed by a key the cached set lacks (Access rotated its signing key) fetches the
 * set again, at most this often: forged `kid`s cannot make every request fetch.
 */
const JWKS_REFETCH_MS = 60_000;

async function accessKeys(
  access: AccessSettings,
  fetcher: typeof fetch,
  now: number,
  kid?: unknown,
): Promise<Jwk[]> {
  const cached = jwksCache.get(access.teamDomain);
  const fresh = cached && now - cached.fetchedAt < JWKS_TTL_MS;
  const knows = cached?.keys.some((k) => k.kid === kid) === true;
  if (cached && fresh && (knows || now - cached.fetchedAt < JWKS_REFETCH_MS)) return cached.keys;
  const response = await fetcher(`https://${access.teamDomain}/cdn-cgi/access/certs`);
  if (!response.ok) throw new Error(`Cloudflare Access certs: HTTP ${response.status}`);
  const body = (await response.json()) as { keys?: Jwk[] };
  const keys = Array.isArray(body.keys) ? body.keys : [];
  jwksCache.set(access.teamDomain, { keys, fetchedAt: now });
  return keys;
}

/**
 * Verifies a Cloudflare Access JWT: RS256 signature by one of the team's keys, issuer the
 * team domain, audience the application's, not expired. Returns the identity it names.
 */
export async function verifyAccessJwt(
  jwt: string,
  access: AccessSettings,
  fetcher: typeof fetch,
  now: number,
): Promise<string | undefined> {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const [head, body, signature] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let claims: {
    aud?: unknown;
    iss?: unknown;
    exp?: unknown;
    nbf?: unknown;
    email?: unknown;
    sub?: unknown;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(fromBase64url(head)));
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
  } catch {
    return undefined;
  }
  if (header.alg !== 'RS256') return undefined;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(access.audience)) return undefined;
  if (claims.iss !== `https://${access.teamDomain}`) return undefined;
  const seconds = now / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= seconds) return undefined;
  if (typeof claims.nbf === 'number' && claims.nbf > seconds + 60) return undefined;
  const keys = await accessKeys(access, fetcher, now, header.kid);
  const key = keys.find((k) => k.kid === header.kid && k.kty === 'RSA');
  if (!key) return undefined;
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    {
      kty: 'RSA',
      ...(key.n === undefined ? {} : { n: key.n }),
      ...(key.e === undefined ? {} : { e: key.e }),
      alg: 'RS256',
      ext: true,
    },
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const ok = await crypto.subtle.verify(
    'RSASSA-PKCS1-v1_5',
    publicKey,
    fromBase64url(signature),
    encoder.encode(`${head}.${body}`),
  );
  if (!ok) return undefined;
  return typeof claims.email === 'string'
    ? claims.email
    : typeof claims.sub === 'string'
      ? claims.sub
      : 'access';
}

/** Who the request is, or undefined when the policy refuses it. */
export async function viewerOf(
  c: Context,
  policy: StatusAccessPolicy,
  now: number,
): Promise<string | undefined> {
  if (policy.mode === 'open') return 'local';
  if (policy.mode === 'off') return undefined;
  if (policy.token !== undefined) {
    const bearer = /^bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer !== undefined && sameText(bearer.trim(), policy.token)) return 'token';
    const session = getCookie(c, SESSION_COOKIE);
    if (session && (await validSession(policy.token, session, now))) return 'session';
  }
  if (policy.access) {
    const jwt = c.req.header('cf-access-jwt-assertion') ?? getCookie(c, 'CF_Authorization');
    if (jwt) {
      try {
        return await verifyAccessJwt(jwt, policy.access, policy.fetch ?? fetch, now);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Refuses what the policy does not let through: 404 when the routes are off, 401 for the API,
 * a redirect to the login form for pages (when a token can log in).
 */
export function statusGuard(policy: StatusAccessPolicy, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    if (policy.mode === 'off') return c.json({ error: 'not found' }, 404);
    const viewer = await viewerOf(c, policy, now());
    if (viewer !== undefined) {
      c.set('viewer' as never, viewer as never);
      await next();
      return;
    }
    const path = new URL(c.req.url).pathname;
    if (path.startsWith('/api/') || policy.mode !== 'guarded' || policy.token === undefined) {
      return c.json(
        {
          error:
            policy.mode === 'guarded' && policy.access
              ? 'sign in through Cloudflare Access, or send the status token as a bearer token'
              : 'send the status token as a bearer token (Authorization: Bearer …)',
        },
        401,
      );
    }
    return c.redirect(`/login?next=${encodeURIComponent(path)}`, 303);
  };
}

/** A path on this site to go back to after logging in (never another origin). */
export function localPath(next: string | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next;
}

/**
 * True when a form post comes from this site: its `Origin` (sent by browsers on every POST)
 * names this host, or it has none (a script). Stops another site from posting a form here.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === new URL(c.req.url).host;
  } catch {
    return false;
  }
}
