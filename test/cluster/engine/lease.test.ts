/**
 * Leases on a real API server: a dead local holder is taken over at once, a silent remote one
 * after one lease duration on the observer's clock, and `plumbline unlock` breaks one after
 * showing it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { unlockCommand } from '../../../functions/cli/unlock.ts';
import { runCli } from '../../../functions/cli.ts';
import { leaseRef, microTime } from '../../../lib/inventory/lease.ts';
import type { KubeClient } from '../../../lib/kube/client.ts';
import { captureIo } from '../../env/cli-io.ts';
import { adminKube, cluster, configMap, freshNamespace, leaseSpec } from './cluster.ts';

/** A pid that certainly belongs to no running process (a child that already exited). */
function deadPid(): number {
  return Number(
    execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']),
  );
}

async function seedLease(client: KubeClient, ns: string, holder: string, seconds = 15) {
  const now = microTime(Date.now());
  await client.create(
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'plumbline-web', namespace: ns },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: seconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    },
    { fieldManager: 'plumbline-lease' },
  );
}

function app(ns: string): { dir: string; flags: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-lease-'));
  writeFileSync(join(dir, 'app.yaml'), stringify(configMap('conf', { v: '1' })));
  return {
    dir,
    flags: ['--kubeconfig', cluster.kubeconfig, '-n', ns, '--app', 'web', '--revision', 'r1'],
  };
}

describe('leases that never strand an app', () => {
  it('takes over at once a lease left by a CLI process of this host that is gone', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'lease-dead');
    const stale = `cli/${hostname()}/${deadPid()}#0badc0de`;
    await seedLease(client, ns, stale, 600);
    const { dir, flags } = app(ns);
    const started = performance.now();
    const c = captureIo();
    expect(await runCli(['apply', dir, ...flags, '--lease-wait', '0'], c.io)).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(c.out.stdout).toContain(`ConfigMap ${ns}/conf created`);
    expect((await leaseSpec(client, 'web', ns)).leaseTransitions).toBe(1);
  });

  it('waits one lease duration, on its own clock, for a holder elsewhere that stopped renewing', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'lease-silent');
    await seedLease(client, ns, 'node/another-host/77#1', 2);
    const { dir, flags } = app(ns);
    const started = performance.now();
    expect(await runCli(['apply', dir, ...flags], captureIo().io)).toBe(0);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(8_000);
  });

  it('refuses at once, naming the holder, when asked not to wait and the holder is alive elsewhere', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'lease-held');
    await seedLease(client, ns, 'node/another-host/77#1', 60);
    const { dir, flags } = app(ns);
    const c = captureIo();
    expect(await runCli(['apply', dir, ...flags, '--lease-wait', '0'], c.io)).toBe(2);
    expect(c.out.stderr).toContain(
      `Lease.coordination.k8s.io ${ns}/plumbline-web: the app is being applied by node/another-host/77#1`,
    );
    expect(c.out.stderr).toContain('plumbline unlock');
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'conf' }),
    ).toBeUndefined();
  });

  it('plumbline unlock shows the holder, asks, and breaks the lease only when confirmed', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'unlock');
    await seedLease(client, ns, 'node/another-host/77#1', 600);
    const args = ['web', '--kubeconfig', cluster.kubeconfig, '-n', ns];

    let c = captureIo();
    expect(await unlockCommand(args, c.io, { confirm: undefined })).toBe(2);
    expect(c.out.stdout).toMatch(
      new RegExp(`^web in ${ns}: held by node/another-host/77#1, since `),
    );
    expect(c.out.stderr).toContain('pass --yes');
    c = captureIo();
    const asked: string[] = [];
    const decline = async (q: string) => {
      asked.push(q);
      return false;
    };
    expect(await unlockCommand(args, c.io, { confirm: decline })).toBe(1);
    expect(asked).toEqual(['Break the lease of web held by node/another-host/77#1?']);
    expect((await leaseSpec(client, 'web', ns)).holderIdentity).toBe('node/another-host/77#1');

    c = captureIo();
    expect(await unlockCommand([...args, '--yes', '-o', 'json'], c.io)).toBe(0);
    const record = JSON.parse(c.out.stdout.slice(c.out.stdout.indexOf('{')));
    expect(record).toMatchObject({
      lease: `Lease.coordination.k8s.io ${ns}/plumbline-web`,
      holder: 'node/another-host/77#1',
      brokenBy: expect.stringMatching(/^cli\//),
    });
    const logged = JSON.parse(c.out.stderr.trim());
    expect(logged).toMatchObject({
      level: 'warn',
      message: 'lease broken',
      holder: 'node/another-host/77#1',
    });
    expect((await leaseSpec(client, 'web', ns)).holderIdentity).toBeUndefined();
    expect(await client.get(leaseRef('web', ns))).toBeDefined();

    c = captureIo();
    expect(await unlockCommand(args, c.io, { confirm: undefined })).toBe(0);
    expect(c.out.stdout).toBe(`web in ${ns}: not locked (no run holds its lease)\n`);
  });
});
