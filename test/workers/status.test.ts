/**
 * The history in D1 and the status routes inside workerd: the same SQL store as on Node,
 * over the `HISTORY` binding of wrangler.toml (window functions, batches, retention), and the
 * page and API behind the status token, or behind Cloudflare Access: an assertion signed by the
 * team's key (published at its certs URL by the emulated edge) for the application's audience
 * is verified in workerd with its own WebCrypto.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { d1Database } from '../../functions/cloudflare/d1-history.ts';
import type { WorkerEnv } from '../../functions/cloudflare/worker-env.ts';
import worker from '../../functions/cloudflare.ts';
import type { HistoryRecord } from '../../lib/history/history-record.ts';
import { SqlHistoryStore } from '../../lib/history/sql-history-store.ts';
import { type Redacted, redacted } from '../../lib/report/redacted.ts';
import { noSecrets } from '../../lib/secrets/secret-ledger.ts';
import { WORKERS_TEST } from './fixtures.ts';

const testEnv = env as unknown as WorkerEnv;
const BASE = 'https://plumbline.example.workers.dev';

function record(overrides: Partial<HistoryRecord>): Redacted<HistoryRecord> {
  return redacted<HistoryRecord>(
    {
      runId: 'r',
      kind: 'deploy',
      trigger: 'push',
      repo: 'acme/d1',
      app: 'web',
      target: 'staging',
      commit: { sha: 'a'.repeat(40), title: '<script>x()</script>' },
      appliedSha: 'a'.repeat(40),
      outcome: 'applied',
      counts: { configured: 1 },
      changes: [],
      startedAt: '2026-11-30T10:00:00.000Z',
      finishedAt: '2026-11-30T10:00:01.000Z',
      durationMs: 1000,
      ...overrides,
    },
    noSecrets,
  );
}

const get = (path: string, token?: string) =>
  worker.fetch(
    new Request(`${BASE}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    testEnv,
    createExecutionContext(),
  );

describe('the history in D1', () => {
  it('keeps and lists records, latest states per app, and applies the retention', async () => {
    if (!testEnv.HISTORY) throw new Error('wrangler.toml binds no HISTORY database');
    const store = new SqlHistoryStore(d1Database(testEnv.HISTORY), {
      retention: { maxAgeDays: 0, maxRunsPerApp: 3 },
    });
    await store.record([record({ app: 'retained' })]);
    for (let i = 0; i < 4; i++) {
      await store.record([record({ app: 'retained', outcome: 'skipped', appliedSha: undefined })]);
    }
    const listed = await store.list({ repo: 'acme/d1', app: 'retained' });
    expect(listed.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'applied']);
    const apps = await store.apps();
    const retained = apps.find((a) => a.app === 'retained');
    expect(retained?.lastApplied?.outcome).toBe('applied');
    expect(retained?.lastRun?.outcome).toBe('skipped');
  });
});

describe('the status page and API on Workers', () => {
  it('serves the overview, an app and its runs with the status token, and nothing without', async () => {
    if (!testEnv.HISTORY) throw new Error('wrangler.toml binds no HISTORY database');
    const store = new SqlHistoryStore(d1Database(testEnv.HISTORY));
    await store.record([
      record({ app: 'web' }),
      record({
        app: 'web',
        kind: 'sweep',
        outcome: 'drifted',
        drift: [
          {
            subject: 'Deployment.apps web/web',
            field: '.spec.replicas',
            changedBy: ['kubectl-scale'],
          },
        ],
      }),
    ]);
    expect((await get('/api/v1/overview')).status).toBe(401);
    const page0 = await get('/');
    // People are sent to the login form (or come through Cloudflare Access).
    expect(page0.status).toBe(303);
    expect(page0.headers.get('location')).toBe('/login?next=%2F');
    expect((await get('/api/v1/overview', 'wrong')).status).toBe(401);

    const overview = await get('/api/v1/overview', WORKERS_TEST.statusToken);
    expect(overview.status).toBe(200);
    const doc = (await overview.json()) as {
      apps: { repo: string; app: string; sync: string; drift: unknown[] }[];
    };
    const web = doc.apps.find((a) => a.repo === 'acme/d1' && a.app === 'web');
    expect(web).toMatchObject({
      sync: 'drifted',
      drift: [{ field: '.spec.replicas', changedBy: ['kubectl-scale'] }],
    });

    const page = await get('/apps/acme%2Fd1/web', WORKERS_TEST.statusToken);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('&lt;script&gt;x()&lt;/script&gt;');
    expect(html).not.toContain('<script>x()');

    const runs = await get('/api/v1/runs?repo=acme%2Fd1&app=web&limit=1', WORKERS_TEST.statusToken);
    expect(((await runs.json()) as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('refuses a Cloudflare Access assertion when Access is not configured', async () => {
    const response = await worker.fetch(
      new Request(`${BASE}/api/v1/overview`, { headers: { 'cf-access-jwt-assertion': 'a.b.c' } }),
      testEnv,
      createExecutionContext(),
    );
    expect(response.status).toBe(401);
  });

  it('lets in a Cloudflare Access assertion signed by the team for this application, and only that', async () => {
    const team = inject('workersAccessTeam');
    const accessEnv = {
      ...testEnv,
      PLUMBLINE_ACCESS_TEAM_DOMAIN: team.teamDomain,
      PLUMBLINE_ACCESS_AUD: team.audience,
    } as WorkerEnv;
    const privateKey = await crypto.subtle.importKey(
      'jwk',
      team.privateJwk as JsonWebKey,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const b64url = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replaceAll('+', '-')
        .replaceAll('/', '_')
        .replace(/=+$/, '');
    const text = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: [team.audience],
      iss: `https://${team.teamDomain}`,
      iat: now,
      exp: now + 600,
      email: 'mona@acme.example',
    };
    const sign = async (body: Record<string, unknown>, kid = team.kid) => {
      const signed = `${text({ alg: 'RS256', kid, typ: 'JWT' })}.${text(body)}`;
      const signature = await crypto.subtle.sign(
        'RSASSA-PKCS1-v1_5',
        privateKey,
        new TextEncoder().encode(signed),
      );
      return `${signed}.${b64url(new Uint8Array(signature))}`;
    };
    const overview = (assertion: string) =>
      worker.fetch(
        new Request(`${BASE}/api/v1/overview`, {
          headers: { 'cf-access-jwt-assertion': assertion },
        }),
        accessEnv,
        createExecutionContext(),
      );

    const admitted = await overview(await sign(claims));
    expect(admitted.status).toBe(200);
    expect(((await admitted.json()) as { apps: unknown[] }).apps).toBeInstanceOf(Array);

    const valid = await sign(claims);
    const refused = [
      await sign({ ...claims, aud: ['another-application'] }),
      await sign({ ...claims, iss: 'https://evil.cloudflareaccess.com' }),
      await sign({ ...claims, exp: now - 1 }),
      await sign(claims, 'unknown-key'),
      `${valid.split('.').slice(0, 2).join('.')}.${valid.split('.')[2]?.slice(0, -4)}AAAA`,
      'a.b.c',
    ];
    for (const assertion of refused) expect((await overview(assertion)).status).toBe(401);
  });

  it('says on the GitHub setup page that credentials are configured', async () => {
    // The test Worker has GITHUB_TOKEN: the page says credentials are configured.
    const page = await get('/setup/github', WORKERS_TEST.statusToken);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GitHub credentials are configured');
  });
});
