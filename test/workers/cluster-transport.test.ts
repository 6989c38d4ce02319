/**
 * The Workers cluster transport inside workerd: Access service-token headers go to the listed
 * Tunnel hosts and nowhere else, and a target with a private CA is refused with a
 * `CredentialsError` that says why and what to do.
 */
import { describe, expect, it } from 'vitest';
import { workersClusterTransport } from '../../functions/cloudflare/cluster-transport.ts';
import type { TargetConfig } from '../../lib/config/repo-config.ts';
import { CredentialsError } from '../../lib/errors.ts';

const access = {
  clientId: 'id.access',
  clientSecret: 'access-secret-value',
  hosts: ['k8s.example.com', '*.clusters.example.com'],
};

function target(server: string, ca?: string): TargetConfig {
  return {
    name: 'staging',
    server,
    ...(ca ? { ca } : {}),
    credentials: { kind: 'token', secret: 'staging-token' },
  };
}

/** A fetch that records the headers of each request and answers 200. */
function recordingFetch() {
  const seen: { url: string; headers: Headers }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    return new Response('{}');
  }) as typeof fetch;
  return { seen, fetcher };
}

describe('the Workers cluster transport', () => {
  it('adds the Access service token for a Tunnel host, keeping the request headers', async () => {
    const { seen, fetcher } = recordingFetch();
    const transport = workersClusterTransport({ access, fetch: fetcher });
    await transport(target('https://k8s.example.com'))('https://k8s.example.com/version', {
      headers: { authorization: 'Bearer t' },
    });
    await transport(target('https://eu.clusters.example.com:443'))(
      'https://eu.clusters.example.com/api',
    );
    expect(seen.map((r) => r.headers.get('cf-access-client-id'))).toEqual([
      'id.access',
      'id.access',
    ]);
    expect(seen[0]?.headers.get('cf-access-client-secret')).toBe('access-secret-value');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer t');
  });

  it('never sends the Access token to a host it does not list', async () => {
    const { seen, fetcher } = recordingFetch();
    const transport = workersClusterTransport({ access, fetch: fetcher });
    await transport(target('https://ABC.eks.amazonaws.com'))('https://abc.eks.amazonaws.com/api');
    await transport(target('https://clusters.example.com'))('https://clusters.example.com/api');
    for (const request of seen) {
      expect(request.headers.has('cf-access-client-id')).toBe(false);
      expect(request.headers.has('cf-access-client-secret')).toBe(false);
    }
  });

  it('refuses a target with a private CA, saying why and what to do', () => {
    const transport = workersClusterTransport({ access });
    let error: unknown;
    try {
      transport(target('https://10.0.0.1:6443', '-----BEGIN CERTIFICATE-----\nMIIB\n'));
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
    expect(`${refused.message} ${refused.hint}`).not.toContain('access-secret-value');
  });
});
