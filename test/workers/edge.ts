/**
 * The Cloudflare edge as the Worker under test sees it, run in Node as Miniflare's
 * `outboundService` (every `fetch` the Worker makes arrives here):
 * - `https://<tunnelHost>` is an API server published through Cloudflare Tunnel behind
 *   Access: without the service token's two headers Access answers 403 and nothing reaches
 *   the origin; with them, the headers are stripped (Access does not forward them as such)
 *   and the request goes to the real kube-apiserver, whose private CA `cloudflared` trusts.
 * - `https://<downHost>` is a Tunnel whose origin is down: 502, as Cloudflare answers.
 * - `https://<attackerHost>` is an attacker's API server: it records every request (method,
 *   path, headers) and answers like an API server; `ATTACKER_RECORD_PATH` on it returns the
 *   record, for the hostile tests to assert it is empty.
 * - `https://<accessTeam>/cdn-cgi/access/certs` publishes the Access team's signing keys.
 * - `http://127.0.0.1:*` (the GitHub test server) is passed through.
 * - `https://<githubAppHost>` answers the requests a GitHub App makes before reading a
 *   repository: its installation and an installation token for a well-formed RS256 App JWT,
 *   then the branch, only with that token. (Node tests use the GitHub test server for this.)
 * - Anything else is refused: tests never reach the internet.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { ATTACKER_RECORD_PATH } from './fixtures.ts';

/** What the edge routes to. */
export interface EdgeOptions {
  tunnelHost: string;
  downHost: string;
  attackerHost: string;
  access: { clientId: string; clientSecret: string };
  origin: { server: string; caPem: string };
  githubAppHost: string;
  githubAppId: string;
  /** The Cloudflare Access team: its certs URL publishes `keys`. */
  accessTeam?: { teamDomain: string; keys: Record<string, unknown>[] };
}

/** The installation token the emulated GitHub hands out for `installationId`. */
export function installationToken(installationId: string): string {
  return `ghs_installation_${installationId}`;
}

/** GitHub's two App endpoints Plumbline uses first: installation token, then a branch. */
function githubApp(request: Request, url: URL, appId: string): Response {
  const authorization = request.headers.get('authorization') ?? '';
  const tokenPath = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
  if (request.method === 'POST' && tokenPath) {
    const [header, payload, signature] = authorization.replace(/^bearer /i, '').split('.');
    const decode = (part: string | undefined) =>
      JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    try {
      if (decode(header).alg !== 'RS256' || String(decode(payload).iss) !== appId || !signature) {
        return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
      }
    } catch {
      return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
    }
    const expires = new Date(Date.now() + 3600_000).toISOString();
    return Response.json(
      { token: installationToken(tokenPath[1] as string), expires_at: expires, permissions: {} },
      { status: 201 },
    );
  }
  const installationPath = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(url.pathname);
  if (request.method === 'GET' && installationPath) {
    if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(authorization)) {
      return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
    }
    return Response.json({ id: 77 });
  }
  const branchPath = /^\/repos\/([^/]+)\/([^/]+)\/branches\/([^/]+)$/.exec(url.pathname);
  if (request.method === 'GET' && branchPath) {
    if (!/^token ghs_installation_\d+$/.test(authorization)) {
      return Response.json({ message: 'Bad credentials' }, { status: 401 });
    }
    return Response.json({ name: branchPath[3], commit: { sha: 'c'.repeat(40) } });
  }
  return Response.json({ message: 'Not Found' }, { status: 404 });
}

/** A response to hand back to workerd: Node's fetch already decoded the body. */
async function relay(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  return new Response(await response.arrayBuffer(), { status: response.status, headers });
}

/** Builds the outbound handler. */
export function createEdge(options: EdgeOptions): (request: Request) => Promise<Response> {
  const originAgent = new Agent({ connect: { ca: options.origin.caPem } });
  const stolen: { method: string; path: string; headers: Record<string, string> }[] = [];
  return async (request) => {
    const url = new URL(request.url);
    if (url.hostname === options.attackerHost) {
      if (url.pathname === ATTACKER_RECORD_PATH) return Response.json(stolen);
      stolen.push({
        method: request.method,
        path: url.pathname,
        headers: Object.fromEntries(request.headers),
      });
      return Response.json({ kind: 'APIVersions', versions: ['v1'] });
    }
    if (options.accessTeam && url.hostname === options.accessTeam.teamDomain) {
      return url.pathname === '/cdn-cgi/access/certs'
        ? Response.json({ keys: options.accessTeam.keys })
        : new Response('Not Found', { status: 404 });
    }
    if (url.hostname === options.githubAppHost) {
      return githubApp(request, url, options.githubAppId);
    }
    if (url.hostname === options.downHost) {
      return new Response('origin unreachable (cloudflared has no connection)', { status: 502 });
    }
    if (url.hostname === options.tunnelHost) {
      const admitted =
        request.headers.get('cf-access-client-id') === options.access.clientId &&
        request.headers.get('cf-access-client-secret') === options.access.clientSecret;
      if (!admitted) return new Response('Forbidden: Cloudflare Access', { status: 403 });
      const headers = new Headers(request.headers);
      headers.delete('cf-access-client-id');
      headers.delete('cf-access-client-secret');
      headers.delete('host');
      const body =
        request.method === 'GET' || request.method === 'HEAD'
          ? undefined
          : await request.arrayBuffer();
      const target = `${options.origin.server}${url.pathname}${url.search}`;
      // undici's own fetch, so its Agent (trusting the origin's private CA) is accepted.
      const response = await undiciFetch(target, {
        method: request.method,
        headers: [...headers],
        ...(body ? { body } : {}),
        dispatcher: originAgent,
      });
      return relay(response as unknown as Response);
    }
    if (url.hostname === '127.0.0.1') {
      const body =
        request.method === 'GET' || request.method === 'HEAD'
          ? undefined
          : await request.arrayBuffer();
      const response = await fetch(url, {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
        ...(body ? { body } : {}),
      });
      return relay(response);
    }
    return new Response(`unexpected outbound request to ${url.origin}`, { status: 599 });
  };
}
