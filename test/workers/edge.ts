/**
 * The Cloudflare edge as the Worker under test sees it, run in Node as Miniflare's
 * `outboundService` (every `fetch` the Worker makes arrives here):
 * - `https://<tunnelHost>` is an API server published through Cloudflare Tunnel behind
 *   Access: without the service token's two headers Access answers 403 and nothing reaches
 *   the origin; with them, the headers are stripped (Access does not forward them as such)
 *   and the request goes to the real kube-apiserver, whose private CA `cloudflared` trusts.
 * - `https://<downHost>` is a Tunnel whose origin is down: 502, as Cloudflare answers.
 * - `http://127.0.0.1:*` (the GitHub test server) is passed through.
 * - Anything else is refused: tests never reach the internet.
 */
import { Agent, fetch as undiciFetch } from 'undici';

/** What the edge routes to. */
export interface EdgeOptions {
  tunnelHost: string;
  downHost: string;
  access: { clientId: string; clientSecret: string };
  origin: { server: string; caPem: string };
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
  return async (request) => {
    const url = new URL(request.url);
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
