/**
 * How the Worker reaches API servers. Workers' fetch trusts only public certificate
 * authorities and cannot be given a CA, so a target must be either a publicly trusted
 * endpoint (EKS, GKE and AKS public endpoints are) or published through Cloudflare Tunnel
 * behind Cloudflare Access, whose service-token headers this transport adds. A target whose
 * `plumbline.yaml` entry sets `ca` (a private CA) is refused with a `CredentialsError` saying so.
 */
import type { TargetConfig } from '../../lib/config/repo-config.ts';
import { CredentialsError } from '../../lib/errors.ts';
import type { AccessServiceToken } from './settings.ts';

/** What the transport is built from. */
export interface WorkersTransportOptions {
  /** The Access service token, sent only to the hosts it lists. */
  access?: AccessServiceToken;
  /** The fetch to wrap (the global one; a test double in tests). */
  fetch?: typeof fetch;
}

/** True when `host` is one of `patterns` (`*.example.com` matches one or more labels). */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase();
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/** The `ClusterAccessDeps.transport` of the Workers runtime. */
export function workersClusterTransport(
  options: WorkersTransportOptions = {},
): (target: TargetConfig) => typeof fetch {
  const base = options.fetch ?? ((input, init) => fetch(input, init));
  return (target) => {
    if (target.ca !== undefined) {
      throw new CredentialsError(
        `target ${target.name}: its API server ${target.server} uses a private CA ('ca' in plumbline.yaml), which Cloudflare Workers cannot trust`,
        {
          hint: 'Publish the API server through Cloudflare Tunnel behind Access (set CF_ACCESS_CLIENT_ID, CF_ACCESS_CLIENT_SECRET and CF_ACCESS_HOSTS) or use a publicly trusted endpoint, then remove ca from the target; or run this target from plumbline serve on Node. See docs/workers.md.',
        },
      );
    }
    const access = options.access;
    if (!access || !hostMatches(new URL(target.server).hostname, access.hosts)) return base;
    return (input, init) => {
      const headers = new Headers(
        init?.headers ?? (input instanceof Request ? input.headers : undefined),
      );
      headers.set('CF-Access-Client-Id', access.clientId);
      headers.set('CF-Access-Client-Secret', access.clientSecret);
      return base(input, { ...init, headers });
    };
  };
}
