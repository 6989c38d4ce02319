import { describe, expect, it } from 'vitest';
import {
  localPath,
  SESSION_MS,
  sessionValue,
  validSession,
  verifyAccessJwt,
} from '../../../lib/status/status-access.ts';

const access = { teamDomain: 'acme.cloudflareaccess.com', audience: 'aud-tag-123' };
const b64url = (data: ArrayBuffer | Uint8Array | string) =>
  Buffer.from(typeof data === 'string' ? data : new Uint8Array(data)).toString('base64url');

async function team(teamDomain = 'acme.cloudflareaccess.com') {
  const keys = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', keys.publicKey)), kid: 'k1' };
  let fetched = 0;
  /** The keys the team publishes (a rotation adds one). */
  const published: Record<string, unknown>[] = [jwk];
  const fetcher = (async (url: string) => {
    fetched += 1;
    expect(url).toBe(`https://${teamDomain}/cdn-cgi/access/certs`);
    return Response.json({ keys: published });
  }) as unknown as typeof fetch;
  const sign = async (claims: Record<string, unknown>, kid = 'k1') => {
    const head = b64url(JSON.stringify({ alg: 'RS256', kid }));
    const body = b64url(JSON.stringify(claims));
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      keys.privateKey,
      new TextEncoder().encode(`${head}.${body}`),
    );
    return `${head}.${body}.${b64url(signature)}`;
  };
  return { fetcher, sign, fetched: () => fetched, published, keys };
}

describe('Cloudflare Access assertions', () => {
  const now = Date.parse('2026-12-01T00:00:00Z');
  const valid = {
    aud: [access.audience],
    iss: 'https://acme.cloudflareaccess.com',
    exp: now / 1000 + 600,
    email: 'mona@acme.example',
  };

  it("accepts a JWT signed by the team's key for the application, naming the user", async () => {
    const { fetcher, sign } = await team();
    expect(await verifyAccessJwt(await sign(valid), access, fetcher, now)).toBe(
      'mona@acme.example',
    );
  });

  it('refuses another audience, another issuer, an expired token, an unknown key and a forged signature', async () => {
    const { fetcher, sign } = await team();
    const refused = [
      await sign({ ...valid, aud: ['another-app'] }),
      await sign({ ...valid, iss: 'https://evil.cloudflareaccess.com' }),
      await sign({ ...valid, exp: now / 1000 - 1 }),
      await sign(valid, 'unknown-kid'),
      `${(await sign(valid)).split('.').slice(0, 2).join('.')}.${b64url('forged')}`,
      'not-a-jwt',
    ];
    for (const jwt of refused)
      expect(await verifyAccessJwt(jwt, access, fetcher, now)).toBeUndefined();
    const other = await team();
    expect(
      await verifyAccessJwt(
        await other.sign(valid),
        { ...access, teamDomain: 'acme.cloudflareaccess.com' },
        fetcher,
        now + 1,
      ),
    ).toBeUndefined();
  });
});

describe('Cloudflare Access key rotation', () => {
  it('fetches the keys again for a token signed by a new key, at most once a minute', async () => {
    const rotating = { teamDomain: 'rotating.cloudflareaccess.com', audience: 'aud-tag-123' };
    const now = Date.parse('2026-12-01T00:00:00Z');
    const claims = {
      aud: [rotating.audience],
      iss: 'https://rotating.cloudflareaccess.com',
      exp: now / 1000 + 3600,
      email: 'mona@acme.example',
    };
    const current = await team(rotating.teamDomain);
    expect(await verifyAccessJwt(await current.sign(claims), rotating, current.fetcher, now)).toBe(
      'mona@acme.example',
    );
    expect(current.fetched()).toBe(1);
    // Access rotates: a new key (k2) is published and signs new tokens.
    const next = await team(rotating.teamDomain);
    current.published.push({
      ...(await crypto.subtle.exportKey('jwk', next.keys.publicKey)),
      kid: 'k2',
    });
    const rotated = await next.sign(claims, 'k2');
    // Within a minute of the last fetch, an unknown key is refused without fetching.
    expect(await verifyAccessJwt(rotated, rotating, current.fetcher, now + 30_000)).toBeUndefined();
    expect(current.fetched()).toBe(1);
    // After it, the set is fetched once more and the new key accepted, well before the hour.
    expect(await verifyAccessJwt(rotated, rotating, current.fetcher, now + 90_000)).toBe(
      'mona@acme.example',
    );
    expect(current.fetched()).toBe(2);
    // Forged kids in a flood fetch at most once a minute.
    for (let i = 0; i < 20; i++) {
      const forged = await next.sign(claims, `forged-${i}`);
      expect(await verifyAccessJwt(forged, rotating, current.fetcher, now + 100_000 + i)).toBe(
        undefined,
      );
    }
    expect(current.fetched()).toBe(2);
  });
});

describe('login sessions', () => {
  it('are valid for their token until they expire, and hold no token', async () => {
    const now = 1_000_000;
    const value = await sessionValue('the-token', now + SESSION_MS);
    expect(value).not.toContain('the-token');
    expect(await validSession('the-token', value, now)).toBe(true);
    expect(await validSession('another-token', value, now)).toBe(false);
    expect(await validSession('the-token', value, now + SESSION_MS + 1)).toBe(false);
    // A session stretched past the lifetime is refused even with a valid-looking MAC.
    const stretched = await sessionValue('the-token', now + 10 * SESSION_MS);
    expect(await validSession('the-token', stretched, now)).toBe(false);
  });

  it('go back only to a path of this site after logging in', () => {
    expect(localPath('/apps/acme%2Fdeploy/web')).toBe('/apps/acme%2Fdeploy/web');
    for (const next of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      undefined,
    ]) {
      expect(localPath(next)).toBe('/');
    }
  });
});
