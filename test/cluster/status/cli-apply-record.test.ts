import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { historyPath, sqliteHistory } from '../../../functions/node/sqlite-history.ts';
import { microTime } from '../../../lib/inventory/lease.ts';
import { captureIo } from '../../env/cli-io.ts';
import { adminKube, cluster, freshNamespace } from '../engine/cluster.ts';

let dataDir: string;
let previous: string | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'plumbline-cli-record-'));
  previous = process.env.PLUMBLINE_DATA_DIR;
  process.env.PLUMBLINE_DATA_DIR = dataDir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.PLUMBLINE_DATA_DIR;
  else process.env.PLUMBLINE_DATA_DIR = previous;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('plumbline apply --record', () => {
  it('records the apply, and a failed one with its error, in the history', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'cli-record');
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-cli-record-app-'));
    writeFileSync(
      join(dir, 'app.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: info\n',
    );
    const flags = [
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      ns,
      '--app',
      'recorded',
      '--revision',
      'abc123',
    ];
    let c = captureIo();
    expect(await runCli(['apply', dir, ...flags, '--record'], c.io)).toBe(0);
    // Without --record nothing is written.
    c = captureIo();
    expect(await runCli(['apply', dir, ...flags], c.io)).toBe(0);
    writeFileSync(
      join(dir, 'app.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: [not, a, string]\n',
    );
    c = captureIo();
    expect(await runCli(['apply', dir, ...flags, '--record'], c.io)).toBe(2);

    const { store, database } = sqliteHistory(historyPath(dataDir));
    const records = await store.list();
    database.close();
    expect(records.map((r) => [r.trigger, r.app, r.outcome])).toEqual([
      ['cli', 'recorded', 'failed'],
      ['cli', 'recorded', 'applied'],
    ]);
    expect(records[1]).toMatchObject({
      repo: dir,
      commit: { sha: 'abc123' },
      counts: { created: 1 },
    });
    expect(records[0]?.failure?.message).toContain(`ConfigMap ${ns}/conf`);
  });

  it('records plumbline unlock --record as an unlock, which is never the app’s last run', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'cli-unlock-record');
    const now = microTime(Date.now());
    await client.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'plumbline-web', namespace: ns },
      spec: {
        holderIdentity: 'node/gone-host/77#1',
        leaseDurationSeconds: 600,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    });
    const c = captureIo();
    expect(
      await runCli(
        ['unlock', 'web', '--kubeconfig', cluster.kubeconfig, '-n', ns, '--yes', '--record'],
        c.io,
      ),
    ).toBe(0);
    const { store, database } = sqliteHistory(historyPath(dataDir));
    const records = await store.list();
    const apps = await store.apps();
    database.close();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: 'unlock',
      trigger: 'cli',
      app: 'web',
      outcome: 'unlocked',
      leaseHolder: 'node/gone-host/77#1',
    });
    expect(records[0]?.reason).toMatch(
      new RegExp(`^lease of web in ${ns} broken by cli/.+, held by node/gone-host/77#1$`),
    );
    expect(apps.find((a) => a.app === 'web')?.lastRun).toBeUndefined();
  });
});
