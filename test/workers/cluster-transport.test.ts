/**
 * The Workers cluster transport inside workerd: a binding's Access service-token headers go to
 * that binding's server and nowhere else, and a binding with a private CA or a client
 * certificate is refused with a `CredentialsError` that says why and what to do.
 */
import { describe, expect, it } from 'vitest';
import { workersClusterTransport } from '../../functions/cloudflare/cluster-transport.ts';
import type { KubernetesTarget } from '../../lib/config/target-binding.ts';
import { createClusterAccess } from '../../lib/credentials/cluster-access.ts';
import { CredentialsError } from '../../lib/errors.ts';
import { MemorySecretStore } from '../../lib/ports/secret-store.ts';

function target(server: string, extra: Partial<KubernetesTarget> = {}): KubernetesTarget {
  return {
    kind: 'kubernetes',
    name: 'staging',
    server,
    credentials: { kind: 'token', secret: 'staging-token' },
    repositories: ['*'],
    namespaces: ['*'],
    clusterResources: true,
    allowLinkLocal: false,
    ...extra,
  };
}

/** A fetch that records the URL and headers of each request and answers 200. */
function recordingFetch() {
  const seen: { url: string; headers: Headers }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    return Response.json({ major: '1', minor: '34' });
  }) as typeof fetch;
  return { seen, fetcher };
}

const secrets = new MemorySecretStore({
  'staging-token': 'cluster-token',
  'cf-access': 'access-secret-value',
});

describe('the Workers cluster transport', () => {
  it("sends a binding's Access service token to its server only, next to its bearer token", async () => {
    const { seen, fetcher } = recordingFetch();
    const clusters = createClusterAccess({
      secrets,
      transport: workersClusterTransport({ fetch: fetcher }),
    });
    const tunnel = target('https://k8s.example.com', {
      access: { clientId: 'id.access', secret: 'cf-access' },
    });
    const eks = target('https://abc.eks.amazonaws.com', { name: 'eks' });
    await (await clusters.clientFor(tunnel))
      .get({
        group: '',
        kind: 'Namespace',
        namespace: '',
        name: 'x',
      })
      .catch(() => undefined);
    await (await clusters.clientFor(eks))
      .get({
        group: '',
        kind: 'Namespace',
        namespace: '',
        name: 'x',
      })
      .catch(() => undefined);
    const toTunnel = seen.filter((r) => r.url.startsWith('https://k8s.example.com'));
    const toEks = seen.filter((r) => r.url.startsWith('https://abc.eks.amazonaws.com'));
    expect(toTunnel.length).toBeGreaterThan(0);
    expect(toEks.length).toBeGreaterThan(0);
    for (const request of toTunnel) {
      expect(request.headers.get('cf-access-client-id')).toBe('id.access');
      expect(request.headers.get('cf-access-client-secret')).toBe('access-secret-value');
      expect(request.headers.get('authorization')).toBe('Bearer cluster-token');
    }
    for (const request of toEks) {
      expect(request.headers.has('cf-access-client-id')).toBe(false);
      expect(request.headers.has('cf-access-client-secret')).toBe(false);
    }
  });

  it('refuses a binding with a private CA, saying why and what to do', () => {
    const transport = workersClusterTransport();
    let error: unknown;
    try {
      transport(target('https://10.0.0.1:6443', { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CredentialsError);
    const refused = error as CredentialsError;
    expect(refused.message).toContain('target staging');
    expect(refused.message).toContain('private CA');
    expect(refused.message).toContain('cannot trust');
    expect(refused.hint).toContain('Cloudflare Tunnel');
    expect(refused.hint).toContain('publicly trusted endpoint');
    expect(`${refused.message} ${refused.hint}`).not.toContain('MIIB');
  });

  it('refuses a client certificate, which a Worker cannot present', () => {
    const transport = workersClusterTransport();
    expect(() =>
      transport(target('https://k8s.example.com'), { certPem: 'CERT', keyPem: 'KEY-VALUE' }),
    ).toThrow('target staging: client certificates cannot be presented from Cloudflare Workers');
  });
});
