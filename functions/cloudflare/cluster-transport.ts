/**
 * How the Worker reaches API servers. Workers' fetch trusts only public certificate
 * authorities, can be given neither a CA nor a client certificate, so a binding must be
 * either a publicly trusted endpoint (EKS, GKE and AKS public endpoints are) or published
 * through Cloudflare Tunnel behind Cloudflare Access (the binding's `access` service token,
 * whose headers `lib/credentials/cluster-access.ts` adds for that binding's server only). A
 * binding with a private `ca` or a client certificate is refused with a `CredentialsError`.
 */

import type { KubernetesTarget } from '../../lib/config/target-binding.ts';
import type { ClientTls } from '../../lib/credentials/cluster-access.ts';
import { CredentialsError } from '../../lib/errors.ts';

/** What the transport is built from. */
export interface WorkersTransportOptions {
  /** The fetch to wrap (the global one; a test double in tests). */
  fetch?: typeof fetch;
}

/** The `ClusterAccessDeps.transport` of the Workers runtime. */
export function workersClusterTransport(
  options: WorkersTransportOptions = {},
): (target: KubernetesTarget, tls?: ClientTls) => typeof fetch {
  const base = options.fetch ?? ((input, init) => fetch(input, init));
  return (target, tls) => {
    if (target.ca !== undefined) {
      throw new CredentialsError(
        `target ${target.name}: its API server uses a private CA ('ca' of the binding), which Cloudflare Workers cannot trust`,
        {
          hint: 'Publish the API server through Cloudflare Tunnel behind Access (the binding\'s "access") or use a publicly trusted endpoint, then remove ca from the binding; or serve this target from plumbline serve on Node. See docs/workers.md.',
        },
      );
    }
    if (tls !== undefined) {
      throw new CredentialsError(
        `target ${target.name}: client certificates cannot be presented from Cloudflare Workers`,
        { hint: 'Bind this target with token, tokenRequest or eks credentials on Workers.' },
      );
    }
    return base;
  };
}
