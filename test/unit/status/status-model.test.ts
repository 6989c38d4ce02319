import { describe, expect, it } from 'vitest';
import type { AppHistory } from '../../../lib/history/history-store.ts';
import { LiveJobs } from '../../../lib/status/live-jobs.ts';
import { appStatusOf } from '../../../lib/status/status-model.ts';
import { runRecord } from '../history/fixtures.ts';

const sha = (c: string) => c.repeat(40);
let id = 0;
const rec = (overrides: Parameters<typeof runRecord>[0]) => runRecord({ id: ++id, ...overrides });

describe('the status of an app', () => {
  it('is synced at the applied commit, with the head the last run read, even when a push skipped it', () => {
    const applied = rec({ commit: { sha: sha('1'), title: 'one' }, appliedSha: sha('1') });
    const skipped = rec({
      commit: { sha: sha('2') },
      outcome: 'skipped',
      appliedSha: undefined,
      reason: 'not affected',
    });
    const entry: AppHistory = {
      repo: 'acme/deploy',
      app: 'web',
      lastRun: skipped,
      lastResult: applied,
      lastApplied: applied,
    };
    const status = appStatusOf(entry, []);
    expect(status).toMatchObject({
      sync: 'synced',
      head: { sha: sha('2') },
      applied: { sha: sha('1'), title: 'one' },
      lastRun: { outcome: 'skipped' },
      links: { page: '/apps/acme%2Fdeploy/web', api: '/api/v1/apps/acme%2Fdeploy/web' },
    });
  });

  it('shows drift until a later apply, and marks it healed', () => {
    const drift = [
      { subject: 'Deployment.apps web/web', field: '.spec.replicas', changedBy: ['kubectl-scale'] },
    ];
    const check = rec({ kind: 'sweep', outcome: 'drifted', drift });
    const entry: AppHistory = {
      repo: 'r/r',
      app: 'web',
      lastRun: check,
      lastResult: check,
      lastCheck: check,
    };
    expect(appStatusOf(entry, [])).toMatchObject({ sync: 'drifted', drift, healed: false });
    const heal = rec({ kind: 'heal', outcome: 'healed', drift });
    expect(appStatusOf({ ...entry, lastResult: heal, lastCheck: heal }, [])).toMatchObject({
      sync: 'synced',
      drift,
      healed: true,
    });
    const later = rec({ outcome: 'applied' });
    expect(appStatusOf({ ...entry, lastResult: later }, []).drift).toEqual([]);
  });

  it('names the lease holder: a job running here, or the holder that kept the last run out', async () => {
    const failed = rec({
      outcome: 'failed',
      failure: {
        stage: 'apply',
        message:
          'web: the app is being applied by cli/laptop/42#a1 (lease until 2026-12-01T10:00:00Z)',
      },
    });
    const entry: AppHistory = { repo: 'r/r', app: 'web', lastRun: failed, lastResult: failed };
    expect(appStatusOf(entry, []).lease).toMatchObject({
      holder: 'cli/laptop/42#a1',
      state: 'held-elsewhere',
    });
    const live = new LiveJobs('node/host/1');
    let release: () => void = () => {};
    const running = live.running(
      { kind: 'reconcile', repo: 'r/r', app: 'web', branch: 'main', deliveryId: 'd' },
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    expect(appStatusOf(entry, live.of('r/r', 'web')).lease).toMatchObject({
      holder: 'node/host/1',
      state: 'running',
    });
    release();
    await running;
    expect(live.of('r/r', 'web')).toEqual([]);
  });
});
