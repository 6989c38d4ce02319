/**
 * The status pages reload themselves so a page left open stays current: the overview always,
 * an app's page only while it has a job queued or running (a reload would lose the reader's
 * place in its timeline otherwise).
 */
import { describe, expect, it } from 'vitest';
import type { AppDocument, AppStatus } from '../../../lib/status/status-model.ts';
import { appPage, overviewPage, REFRESH_SECONDS } from '../../../lib/status/status-pages.ts';

function status(lease?: AppStatus['lease']): AppStatus {
  return {
    repo: 'acme/deploy',
    app: 'web',
    sync: 'synced',
    health: 'healthy',
    drift: [],
    healed: false,
    ...(lease ? { lease } : {}),
    links: { page: '/apps/acme/deploy/web', api: '/api/v1/apps/acme/deploy/web' },
  };
}

function appDocument(lease?: AppStatus['lease']): AppDocument {
  return {
    generatedAt: '2026-12-01T08:00:00Z',
    history: { ok: true },
    status: status(lease),
    runs: [],
  };
}

const refresh = /<meta http-equiv="refresh" content="(\d+)"\/?>/;

describe('status pages', () => {
  it('reload the overview every 30 s and say so', () => {
    const html = String(
      overviewPage(
        { generatedAt: '2026-12-01T08:00:00Z', history: { ok: true }, apps: [status()] },
        false,
      ),
    );
    expect(refresh.exec(html)?.[1]).toBe(String(REFRESH_SECONDS.overview));
    expect(html).toContain('This page reloads every 30 s.');
  });

  it("follow an app's page while it has a job queued or running, and only then", () => {
    for (const state of ['running', 'queued', 'held-elsewhere'] as const) {
      const html = String(
        appPage(appDocument({ holder: 'node-1', since: '2026-12-01T08:00:00Z', state }), []),
      );
      expect(refresh.exec(html)?.[1], state).toBe(String(REFRESH_SECONDS.busyApp));
    }
    expect(String(appPage(appDocument(), []))).not.toMatch(refresh);
  });
});
