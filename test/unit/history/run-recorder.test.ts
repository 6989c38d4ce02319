import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ChangeSet } from '../../../lib/apply/apply.ts';
import { ApplyError, GitHubError } from '../../../lib/errors.ts';
import type { DeployOutcome } from '../../../lib/flows/deploy-outcome.ts';
import type { PlanJobOutcome } from '../../../lib/flows/plan-pull-request.ts';
import { POLL_DELIVERY_PREFIX } from '../../../lib/flows/poll-git-source.ts';
import type { FlowOutcome } from '../../../lib/flows/run-flow.ts';
import type { SweepOutcome } from '../../../lib/flows/sweep.ts';
import type { HistoryRecord } from '../../../lib/history/history-record.ts';
import type { HistoryStore } from '../../../lib/history/history-store.ts';
import { historyRecordOfChangeSet, historyRecordsOf } from '../../../lib/history/records-of-run.ts';
import { ResilientHistory, RunRecorder } from '../../../lib/history/run-recorder.ts';
import type { PlanJob, ReconcileJob, SweepJob } from '../../../lib/jobs/job.ts';
import type { RunJob } from '../../../lib/jobs/job-context.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { type Redacted, redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';
import { runRecord } from './fixtures.ts';

const SHA = 'c'.repeat(40);
const push: ReconcileJob = {
  kind: 'reconcile',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'd-1',
};
const sweepJob: SweepJob = {
  kind: 'sweep',
  repo: 'acme/deploy',
  app: 'web',
  branch: 'main',
  deliveryId: 'sweep-1',
};
const planJob: PlanJob = { kind: 'plan', repo: 'acme/deploy', number: 12, deliveryId: 'd-2' };
const run = { runId: 'r', startedAt: 1_000, finishedAt: 3_500 };
/** Outcome data as it leaves a flow that decrypted nothing. */
const clean = <T>(data: T): Redacted<T> => redacted(data, noSecrets);

const forbidden = new ApplyError('Secret web/s: forbidden', { object: 'Secret web/s' });

const changeSet = (ok: boolean): ChangeSet => ({
  app: 'web',
  namespace: 'web',
  revision: SHA,
  applySetId: 'applyset-x',
  digest: 'sha256:d',
  entries: [
    {
      ref: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' },
      action: 'configured',
      health: { state: 'healthy', message: 'ok' },
    },
    { ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: 'a' }, action: 'unchanged' },
    ...(ok
      ? []
      : [
          {
            ref: { group: '', kind: 'Secret', namespace: 'web', name: 's' },
            action: 'failed' as const,
            error: forbidden,
          },
        ]),
  ],
  ok,
  errors: ok ? [] : [forbidden],
  warnings: [],
  startedAt: '',
  finishedAt: '',
});

describe('history records of flow outcomes', () => {
  it('records a push deploy with counts, the changed objects, health and duration', () => {
    const outcome: DeployOutcome = {
      status: 'applied',
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      target: 'staging',
      changeSet: changeSet(true),
    };
    const [record] = historyRecordsOf(push, clean(outcome), run);
    expect(record).toEqual({
      runId: 'r',
      kind: 'deploy',
      trigger: 'push',
      repo: 'acme/deploy',
      app: 'web',
      target: 'staging',
      commit: { sha: SHA },
      appliedSha: SHA,
      outcome: 'applied',
      counts: { configured: 1, unchanged: 1 },
      changes: [{ subject: 'Deployment.apps web/web', action: 'configured' }],
      health: 'healthy',
      startedAt: new Date(1_000).toISOString(),
      finishedAt: new Date(3_500).toISOString(),
      durationMs: 2_500,
    });
  });

  it('records a failed apply with the failing object and no applied commit', () => {
    const outcome: DeployOutcome = {
      status: 'failed',
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      changeSet: changeSet(false),
      failure: { stage: 'apply', message: 'Secret web/s: forbidden', hint: 'grant it' },
    };
    const [record] = historyRecordsOf(push, clean(outcome), run);
    expect(record?.appliedSha).toBeUndefined();
    expect(record?.failure).toEqual({
      stage: 'apply',
      message: 'Secret web/s: forbidden',
      hint: 'grant it',
    });
    expect(record?.changes).toContainEqual({
      subject: 'Secret web/s',
      action: 'failed',
      error: 'Secret web/s: forbidden',
    });
  });

  it('records one record per planned app, with the masked diff, and leaves the config note out', () => {
    const outcome: PlanJobOutcome = {
      status: 'planned',
      conclusion: 'success',
      plan: {
        repo: 'acme/deploy',
        number: 12,
        headSha: SHA,
        apps: [
          { kind: 'unaffected', app: 'plumbline.yaml', reason: 'changed in this pull request' },
          {
            kind: 'planned',
            app: 'web',
            target: 'staging',
            plan: {
              app: 'web',
              namespace: 'web',
              revision: SHA,
              applySetId: 'x',
              digest: 'd',
              digests: { desired: 'd', live: 'l' },
              warnings: [],
              entries: [
                {
                  ref: { group: '', kind: 'Secret', namespace: 'web', name: 's' },
                  apiVersion: 'v1',
                  action: 'update',
                  diff: '-  password: *** (changed)\n',
                },
                {
                  ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: 'a' },
                  apiVersion: 'v1',
                  action: 'unchanged',
                  diff: '',
                },
              ],
              summary: { create: 0, update: 1, delete: 0, unchanged: 1, errors: 0, drifted: 0 },
            },
          },
          { kind: 'unaffected', app: 'api', reason: 'no file it reads changed' },
          {
            kind: 'failed',
            app: 'db',
            failure: {
              stage: 'render',
              message: 'db/kustomization.yaml: bad',
              file: 'db/kustomization.yaml',
            },
          },
        ],
      },
    };
    const records = historyRecordsOf(planJob, clean(outcome), run);
    expect(records.map((r) => [r.app, r.outcome, r.trigger, r.pullRequest])).toEqual([
      ['web', 'planned', 'pull_request', 12],
      ['api', 'skipped', 'pull_request', 12],
      ['db', 'failed', 'pull_request', 12],
    ]);
    expect(records[0]?.diff).toBe('# update Secret web/s\n-  password: *** (changed)\n');
    expect(records[0]?.counts).toMatchObject({ update: 1, unchanged: 1 });
    expect(records[2]?.failure?.file).toBe('db/kustomization.yaml');
  });

  it('records drift with its fields and managers, and a heal as a heal', () => {
    const finding = {
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      target: 'staging',
      report: {
        app: 'web',
        namespace: 'web',
        applySetId: 'x',
        appliedRevision: 'b'.repeat(40),
        checked: 2,
        inSync: false,
        drifted: [
          {
            ref: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' },
            fields: [{ path: '.spec.replicas', managers: ['kubectl-scale'] }],
            diff: '-  replicas: 5\n+  replicas: 2\n',
          },
        ],
        missing: [],
        extra: [],
      },
    };
    const drifted: SweepOutcome = {
      status: 'drifted',
      repo: 'acme/deploy',
      app: 'web',
      target: 'staging',
      sha: SHA,
      finding,
    };
    const [record] = historyRecordsOf(sweepJob, clean(drifted), run);
    expect(record).toMatchObject({
      kind: 'sweep',
      trigger: 'sweep',
      outcome: 'drifted',
      appliedSha: 'b'.repeat(40),
    });
    expect(record?.drift).toEqual([
      { subject: 'Deployment.apps web/web', field: '.spec.replicas', changedBy: ['kubectl-scale'] },
    ]);
    const healed: SweepOutcome = {
      ...drifted,
      finding: { ...finding, healed: { ok: true, errors: [] } },
    };
    expect(historyRecordsOf(sweepJob, clean(healed), run)[0]).toMatchObject({
      kind: 'heal',
      outcome: 'healed',
    });
  });

  it("records a files app's deploy as its files and its drift as files with their owners", () => {
    const deployed: DeployOutcome = {
      status: 'applied',
      repo: 'acme/deploy',
      app: 'nginx',
      sha: SHA,
      target: 'web-1',
      files: {
        app: 'nginx',
        host: 'web-1',
        destination: '/etc/nginx',
        revision: SHA,
        entries: [
          { path: 'nginx.conf', action: 'configured' },
          { path: 'mime.types', action: 'unchanged' },
        ],
        ok: true,
        errors: [],
        wrote: true,
        startedAt: '',
        finishedAt: '',
      },
    };
    const [deploy] = historyRecordsOf(push, clean(deployed), run);
    expect(deploy).toMatchObject({
      outcome: 'applied',
      target: 'web-1',
      counts: { configured: 1, unchanged: 1 },
      changes: [{ subject: 'nginx.conf', action: 'configured' }],
    });
    const filesFinding = {
      repo: 'acme/deploy',
      app: 'nginx',
      sha: SHA,
      host: 'web-1',
      destination: '/etc/nginx',
      files: [
        {
          path: 'nginx.conf',
          action: 'update' as const,
          diff: '-worker_processes 4;\n+worker_processes 2;\n',
          sensitive: false,
          live: { sha256: 'x', mtime: 1, owner: 'alice', mode: 0o644 },
          drifted: true,
        },
      ],
    };
    const drifted: SweepOutcome = {
      status: 'drifted',
      repo: 'acme/deploy',
      app: 'nginx',
      sha: SHA,
      filesFinding,
    };
    const [drift] = historyRecordsOf(sweepJob, clean(drifted), run);
    expect(drift).toMatchObject({
      kind: 'sweep',
      outcome: 'drifted',
      target: 'web-1',
      drift: [{ subject: 'nginx.conf', field: 'content', changedBy: ['alice'] }],
      diff: '# nginx.conf\n-worker_processes 4;\n+worker_processes 2;\n',
    });
    const healed: SweepOutcome = {
      ...drifted,
      filesFinding: { ...filesFinding, healed: { ok: false, errors: ['reload failed'] } },
    };
    expect(historyRecordsOf(sweepJob, clean(healed), run)[0]).toMatchObject({
      kind: 'heal',
      outcome: 'failed',
      failure: { stage: 'apply', message: 'reload failed' },
    });
  });

  it('records a missed head the sweep applied as a deploy the sweep triggered', () => {
    const outcome: SweepOutcome = {
      status: 'applied',
      repo: 'acme/deploy',
      app: 'web',
      target: 'staging',
      deploy: {
        status: 'applied',
        repo: 'acme/deploy',
        app: 'web',
        sha: SHA,
        changeSet: changeSet(true),
      },
    };
    expect(historyRecordsOf(sweepJob, clean(outcome), run)[0]).toMatchObject({
      kind: 'deploy',
      trigger: 'sweep',
      target: 'staging',
      outcome: 'applied',
    });
  });

  it('records a deploy a Git source poller enqueued as triggered by the poll, and a push as a push', () => {
    const outcome: DeployOutcome = {
      status: 'applied',
      repo: 'local/demo',
      app: 'site',
      sha: SHA,
      changeSet: changeSet(true),
    };
    const polled: ReconcileJob = {
      ...push,
      deliveryId: `${POLL_DELIVERY_PREFIX}2026-12-01T04:00:00Z`,
    };
    expect(historyRecordsOf(polled, clean(outcome), run)[0]).toMatchObject({
      kind: 'deploy',
      trigger: 'poll',
    });
    expect(historyRecordsOf(push, clean(outcome), run)[0]?.trigger).toBe('push');
  });

  it('records a CLI apply', () => {
    const record = historyRecordOfChangeSet(clean(changeSet(true)), {
      runId: 'cli',
      repo: '/src/deploy',
      startedAt: 0,
      finishedAt: 10,
    });
    expect(record).toMatchObject({
      kind: 'deploy',
      trigger: 'cli',
      app: 'web',
      outcome: 'applied',
      appliedSha: SHA,
    });
  });

  it('bounds what it lists and quotes', () => {
    const many: ChangeSet = {
      ...changeSet(true),
      entries: Array.from({ length: 700 }, (_, i) => ({
        ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: `c${i}` },
        action: 'created' as const,
      })),
    };
    const outcome: DeployOutcome = {
      status: 'failed',
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      changeSet: many,
      failure: { stage: 'apply', message: 'x'.repeat(10_000) },
    };
    const [record] = historyRecordsOf(push, clean(outcome), run);
    expect(record?.changes).toHaveLength(500);
    expect(record?.changesOmitted).toBe(200);
    expect(record?.counts.created).toBe(700);
    expect(record?.failure?.message.length).toBeLessThan(4_100);
    expect(record?.failure?.message).toContain('6000 more characters');
  });
});

/** A store that fails while `broken` says so. */
class FlakyStore implements HistoryStore {
  broken: Error | undefined;
  readonly records: HistoryRecord[] = [];
  async record(records: readonly HistoryRecord[]) {
    if (this.broken) throw this.broken;
    for (const r of records) this.records.push({ ...r, id: this.records.length + 1 });
  }
  async list() {
    if (this.broken) throw this.broken;
    return [...this.records].reverse();
  }
  async get(id: number) {
    return this.records.find((r) => r.id === id);
  }
  async apps() {
    if (this.broken) throw this.broken;
    return [];
  }
}

describe('recording runs', () => {
  it('records nothing for a runner that resolves with no outcome, and passes its undefined on', async () => {
    // The type says what a runner resolves with: an outcome, or undefined (never `void`).
    expectTypeOf<Awaited<ReturnType<RunJob>>>().toEqualTypeOf<FlowOutcome | undefined>();
    const store = new FlakyStore();
    const recorder = new RunRecorder({ history: store, logger: new MemoryLogger() });
    const observe: () => ReturnType<RunJob> = async () => {};
    await expect(recorder.run(push, observe)).resolves.toBeUndefined();
    expect(store.records).toEqual([]);
  });

  it('records what a run threw, and rethrows it unchanged', async () => {
    const store = new FlakyStore();
    const recorder = new RunRecorder({ history: store, logger: new MemoryLogger() });
    const error = new GitHubError('acme/deploy: GitHub answered 503', 503);
    await expect(recorder.run(push, () => Promise.reject(error))).rejects.toBe(error);
    expect(store.records[0]).toMatchObject({
      app: 'web',
      outcome: 'error',
      failure: { stage: 'github', message: 'acme/deploy: GitHub answered 503' },
    });
  });

  it('adds the author, title and page of the commit, asking the host once per commit', async () => {
    const store = new FlakyStore();
    let asked = 0;
    const host = {
      commitInfo: async (_repo: unknown, sha: string) => {
        asked += 1;
        return { sha, author: 'mona', title: 'Scale web', url: 'javascript:alert(1)' };
      },
    };
    const recorder = new RunRecorder({
      history: store,
      logger: new MemoryLogger(),
      lookupRepo: (fullName) => ({ fullName, ref: { owner: 'acme', repo: 'deploy' } }) as never,
      sourceFor: () => host as never,
    });
    const outcome: DeployOutcome = {
      status: 'applied',
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      changeSet: changeSet(true),
    };
    await recorder.run(push, async () => clean(outcome));
    await recorder.run(push, async () => clean(outcome));
    expect(asked).toBe(1);
    // A page that is not http(s) is not kept: it would become a link.
    expect(store.records[1]?.commit).toEqual({ sha: SHA, author: 'mona', title: 'Scale web' });
  });

  it('keeps runs in memory while the store fails, says so once, and writes them when it works again', async () => {
    const store = new FlakyStore();
    const logger = new MemoryLogger();
    const history = new ResilientHistory(store, logger);
    const recorder = new RunRecorder({ history, logger });
    store.broken = new Error('history database /x: locked by another process');
    const outcome: DeployOutcome = {
      status: 'applied',
      repo: 'acme/deploy',
      app: 'web',
      sha: SHA,
      changeSet: changeSet(true),
    };
    await recorder.run(push, async () => clean(outcome));
    await recorder.run(push, async () => clean(outcome));
    expect(store.records).toHaveLength(0);
    expect(history.problem()).toMatchObject({
      message: 'history database /x: locked by another process',
      pending: 2,
    });
    expect(logger.entries.filter((e) => e.message === 'history: cannot write runs')).toHaveLength(
      1,
    );
    // Reads answer from memory meanwhile.
    expect(await history.list()).toHaveLength(2);
    expect((await history.apps())[0]?.lastApplied?.appliedSha).toBe(SHA);
    store.broken = undefined;
    await history.record([clean(runRecord({ app: 'api' }))]);
    expect(store.records.map((r) => r.app)).toEqual(['web', 'web', 'api']);
    expect(history.problem()).toBeUndefined();
  });
});
