import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSqliteDatabase, sqliteHistory } from '../../../functions/node/sqlite-history.ts';
import type { HistoryRecord, RunKind, RunOutcome } from '../../../lib/history/history-record.ts';
import { foldAppHistory } from '../../../lib/history/history-store.ts';
import { HistoryError, SqlHistoryStore } from '../../../lib/history/sql-history-store.ts';
import type { Redacted } from '../../../lib/report/redacted.ts';
import { runRecord } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plumbline-history-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sha = (c: string) => c.repeat(40);

describe('SqlHistoryStore on node:sqlite', () => {
  it('keeps records and lists them newest first, filtered and paged', async () => {
    const { store } = sqliteHistory(join(dir, 'h.sqlite'));
    const first = runRecord({ app: 'web' });
    const second = runRecord({ app: 'api', kind: 'sweep', outcome: 'in-sync' });
    const third = runRecord({ app: 'web', outcome: 'failed', appliedSha: undefined });
    await store.record([first]);
    await store.record([second, third]);

    const all = await store.list();
    expect(all.map((r) => [r.app, r.outcome])).toEqual([
      ['web', 'failed'],
      ['api', 'in-sync'],
      ['web', 'applied'],
    ]);
    expect(all[2]).toEqual({ ...first, id: all[2]?.id });
    expect((await store.list({ app: 'web' })).map((r) => r.outcome)).toEqual(['failed', 'applied']);
    expect((await store.list({ kind: 'sweep' })).map((r) => r.app)).toEqual(['api']);
    const page = await store.list({ limit: 1 });
    expect(page).toHaveLength(1);
    const next = await store.list({ limit: 5, before: page[0]?.id ?? 0 });
    expect(next.map((r) => r.app)).toEqual(['api', 'web']);
    expect(await store.get(all[1]?.id ?? 0)).toMatchObject({ app: 'api', outcome: 'in-sync' });
    expect(await store.get(9_999)).toBeUndefined();
  });

  it("gives each app's last run, applied commit, drift check and plan", async () => {
    const { store } = sqliteHistory(join(dir, 'h.sqlite'));
    await store.record([
      runRecord({ commit: { sha: sha('1') }, appliedSha: sha('1') }),
      runRecord({ kind: 'sweep', outcome: 'drifted', appliedSha: sha('1') }),
      runRecord({
        kind: 'plan',
        trigger: 'pull_request',
        pullRequest: 7,
        outcome: 'planned',
        appliedSha: undefined,
      }),
      runRecord({ commit: { sha: sha('2') }, outcome: 'failed', appliedSha: undefined }),
      runRecord({
        kind: 'plan',
        trigger: 'pull_request',
        pullRequest: 8,
        outcome: 'skipped',
        appliedSha: undefined,
      }),
    ]);
    const [web] = await store.apps();
    expect(web?.lastRun).toMatchObject({ outcome: 'failed', commit: { sha: sha('2') } });
    expect(web?.lastApplied).toMatchObject({ kind: 'sweep', appliedSha: sha('1') });
    expect(web?.lastCheck).toMatchObject({ kind: 'sweep', outcome: 'drifted' });
    expect(web?.lastPlan).toMatchObject({ pullRequest: 7 });
  });

  it('agrees with the in-memory fold of the same records (SQL and predicates state the same)', async () => {
    const kinds: RunKind[] = ['deploy', 'plan', 'sweep', 'heal'];
    const outcomes: RunOutcome[] = [
      'applied',
      'skipped',
      'failed',
      'error',
      'planned',
      'in-sync',
      'drifted',
      'healed',
    ];
    const arbitrary = fc.array(
      fc.record({
        app: fc.constantFrom('web', 'api', 'db'),
        kind: fc.constantFrom(...kinds),
        outcome: fc.constantFrom(...outcomes),
        applied: fc.boolean(),
      }),
      { minLength: 1, maxLength: 30 },
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (runs) => {
        const db = new DatabaseSync(':memory:');
        const store = new SqlHistoryStore({
          batch: async (statements) => {
            for (const s of statements) db.prepare(s.sql).run(...(s.params ?? []));
          },
          all: async (s) => db.prepare(s.sql).all(...(s.params ?? [])) as never,
        });
        const records: HistoryRecord[] = [];
        for (const run of runs) {
          const record = runRecord({
            app: run.app,
            kind: run.kind,
            outcome: run.outcome,
            appliedSha: run.applied ? sha('b') : undefined,
          });
          await store.record([record]);
          records.push(record);
        }
        const fromSql = await store.apps();
        const stored = await store.list({ limit: 500 });
        const folded = foldAppHistory([], stored);
        const ids = (list: typeof fromSql) =>
          list.map((a) => [
            a.app,
            a.lastRun?.id,
            a.lastResult?.id,
            a.lastApplied?.id,
            a.lastCheck?.id,
            a.lastPlan?.id,
          ]);
        expect(ids(fromSql)).toEqual(ids(folded));
        db.close();
      }),
      { numRuns: 60 },
    );
  });

  it('keeps at most maxRunsPerApp per app, but always the latest record of each state', async () => {
    const { store } = sqliteHistory(join(dir, 'h.sqlite'), {
      retention: { maxAgeDays: 0, maxRunsPerApp: 3 },
    });
    await store.record([runRecord({ commit: { sha: sha('1') }, appliedSha: sha('1') })]);
    await store.record([runRecord({ kind: 'sweep', outcome: 'in-sync', appliedSha: undefined })]);
    for (let i = 0; i < 6; i++) {
      await store.record([runRecord({ outcome: 'skipped', appliedSha: undefined })]);
    }
    await store.record([runRecord({ app: 'api' })]);
    const web = await store.list({ app: 'web', limit: 100 });
    expect(web.map((r) => r.outcome)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'in-sync',
      'applied',
    ]);
    expect(await store.list({ app: 'api' })).toHaveLength(1);
  });

  it('removes records older than maxAgeDays, keeping what the overview needs', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { store } = sqliteHistory(join(dir, 'h.sqlite'), {
      retention: { maxAgeDays: 30, maxRunsPerApp: 0 },
      now: () => now,
    });
    const old = (days: number, overrides: Partial<HistoryRecord>) =>
      runRecord({ finishedAt: new Date(now - days * 86_400_000).toISOString(), ...overrides });
    await store.record([
      old(60, { outcome: 'applied', appliedSha: sha('1') }),
      old(50, { outcome: 'skipped', appliedSha: undefined }),
      old(40, { outcome: 'failed', appliedSha: undefined }),
      old(1, { outcome: 'skipped', appliedSha: undefined }),
    ]);
    now += 1;
    await store.record([runRecord({ app: 'api' })]);
    const web = await store.list({ app: 'web' });
    // The 60-day-old apply is still the applied commit and the failure of 40 days ago the
    // app's latest result: both stay. The skip of 50 days ago is none of the states: it goes.
    expect(web.map((r) => r.outcome)).toEqual(['skipped', 'failed', 'applied']);
  });

  it('stores the records of one run all or none', async () => {
    const { store } = sqliteHistory(join(dir, 'h.sqlite'));
    const broken = { ...runRecord(), kind: null } as unknown as Redacted<HistoryRecord>;
    await expect(store.record([runRecord({ app: 'good' }), broken])).rejects.toBeInstanceOf(
      HistoryError,
    );
    expect(await store.list()).toEqual([]);
  });

  it('creates the file 0600 in a 0700 directory', async () => {
    const path = join(dir, 'data', 'history.sqlite');
    const { store, database } = sqliteHistory(path);
    await store.record([runRecord()]);
    database.close();
    const { statSync } = await import('node:fs');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
  });
});

describe('a history database that cannot be used', () => {
  it('says a locked database is locked, naming the file', async () => {
    const path = join(dir, 'h.sqlite');
    const { store, database } = sqliteHistory(path);
    await store.record([runRecord()]);
    const other = new DatabaseSync(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const error = await store.record([runRecord()]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HistoryError);
      expect((error as HistoryError).message).toContain(`history database ${path}: locked`);
      expect((error as HistoryError).hint).toContain('kept in memory');
    } finally {
      other.exec('ROLLBACK');
      other.close();
      database.close();
    }
    expect(await store.list()).toHaveLength(1);
  });

  it('says a file that is not a database is damaged, and how to get a new history', async () => {
    const path = join(dir, 'h.sqlite');
    writeFileSync(path, 'this is not SQLite at all, just some bytes '.repeat(200));
    const { store } = sqliteHistory(path);
    const error = await store.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryError);
    expect((error as HistoryError).message).toMatch(/damaged or not a SQLite database/);
    expect((error as HistoryError).hint).toContain(`Move ${path} aside`);
  });

  it('says a directory it cannot write is not writable', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a path under a file stands in for an unwritable place.
      writeFileSync(join(dir, 'file'), '');
    } else {
      chmodSync(dir, 0o500);
    }
    const path = join(dir, 'file', 'history.sqlite');
    const database = new NodeSqliteDatabase(path);
    const error = await database.all({ sql: 'SELECT 1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryError);
    expect((error as HistoryError).message).toContain(`history database ${path}`);
  });
});
