/**
 * Crashes and concurrency: a CLI apply killed with SIGKILL mid-way, and a CLI apply racing a
 * push deployed by `plumbline serve`. Afterwards the outcome is true to live state, no
 * desired object was deleted, and nothing stays locked beyond one lease duration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../../functions/cli.ts';
import type { NodeRuntime } from '../../../functions/node.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { readInventory } from '../../../lib/inventory/applyset.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { captureIo } from '../../env/cli-io.ts';
import type { FaultProxy } from '../../env/fault-proxy.ts';
import { type RepoRuntime, startRepoRuntime } from '../../env/repo-runtime.ts';
import type { TestGitRepo } from '../../github-server/git-repo.ts';
import type { GitHubServer } from '../../github-server/server.ts';
import { pushDelivery } from '../../github-server/webhook-delivery.ts';
import { adminKube, freshNamespace, leaseSpec } from '../engine/cluster.ts';
import {
  attempt,
  expectTruthful,
  LEASE_SECONDS,
  objectsAt,
  proxiedClient,
  proxyFor,
  report,
} from './harness.ts';

const cluster = inject('cluster');
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await proxyFor(cluster);
});

afterAll(async () => {
  await proxy?.close();
});

const cliEntry = join(import.meta.dirname, '../../../functions/cli.ts');

function appDir(objects: KubeObject[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-crash-'));
  writeFileSync(join(dir, 'app.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  return dir;
}

const slowWrites = (ms: number) =>
  proxy.inject({
    name: 'slow-writes',
    match: ({ method, path }) =>
      method === 'PATCH' && path.includes('/configmaps/') && !path.includes('dryRun='),
    action: { kind: 'delay', ms },
    times: 1_000,
  });

/** Starts a CLI apply through the proxy and kills it with SIGKILL after `writes` object writes. */
async function killedApply(
  ns: string,
  dir: string,
  writes: number,
): Promise<{ child: ChildProcess; pid: number }> {
  const child = spawn(
    process.execPath,
    [
      cliEntry,
      'apply',
      dir,
      '--kubeconfig',
      proxy.kubeconfig,
      '-n',
      ns,
      '--app',
      'faulty',
      '--revision',
      'v2',
      '--lease-duration',
      String(LEASE_SECONDS),
    ],
    { stdio: 'ignore' },
  );
  const pid = child.pid as number;
  const seen = proxy.requests.length;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (
    proxy.requests
      .slice(seen)
      .filter(
        (r) =>
          r.method === 'PATCH' &&
          r.body.includes('"version":"v2"') &&
          r.path.includes('/configmaps/') &&
          !r.path.includes('dryRun='),
      ).length < writes
  ) {
    if (Date.now() > deadline) throw new Error('the CLI apply never got that far');
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited;
  return { child, pid };
}

describe('a CLI apply killed with SIGKILL mid-way', () => {
  it('leaves a lease the next CLI run on this host takes over at once, and converges', async () => {
    const ns = await freshNamespace(adminKube().client, 'sigkill');
    const client = proxiedClient(cluster, proxy);
    proxy.clear();
    expect((await attempt(client, ns, objectsAt('v1'), 'v1')).result?.ok).toBe(true);
    slowWrites(500);
    const { pid } = await killedApply(ns, appDir(objectsAt('v2')), 2);
    proxy.clear();
    const stale = await leaseSpec(adminKube().client, 'faulty', ns);
    expect(stale.holderIdentity).toMatch(new RegExp(`^cli/${hostname()}/${pid}#`));
    // Killed mid-way: some objects at v2, the rest at v1, the record still at v1, nothing deleted.
    await expectTruthful({}, ns, objectsAt('v1'), 'v1');

    const started = performance.now();
    const c = captureIo();
    const code = await runCli(
      [
        'apply',
        appDir(objectsAt('v2')),
        '--kubeconfig',
        proxy.kubeconfig,
        '-n',
        ns,
        '--app',
        'faulty',
        '--revision',
        'v3',
        '--lease-wait',
        '0',
      ],
      c.io,
    );
    const ms = performance.now() - started;
    expect(code, c.out.stderr).toBe(0);
    expect(ms).toBeLessThan(5_000);
    const inventory = await readInventory(adminKube().client, 'faulty', ns);
    expect(inventory.revision).toBe('v3');
    await expectTruthful({}, ns, objectsAt('v2'), 'v3');
    report('SIGKILL of a CLI apply after 2 of 6 writes; next CLI run on the same host', {
      staleHolder: stale.holderIdentity,
      nextRunMs: Math.round(ms),
      waitedForLease: false,
    });
  });

  it('leaves a lease a run elsewhere takes over after one lease duration', async () => {
    const ns = await freshNamespace(adminKube().client, 'sigkill-remote');
    const client = proxiedClient(cluster, proxy);
    proxy.clear();
    expect((await attempt(client, ns, objectsAt('v1'), 'v1')).result?.ok).toBe(true);
    slowWrites(500);
    await killedApply(ns, appDir(objectsAt('v2')), 2);
    proxy.clear();
    // A run that cannot tell whether the holder's process lives (another host, a Worker).
    const outcome = await attempt(client, ns, objectsAt('v2'), 'v3');
    expect(outcome.result?.ok).toBe(true);
    expect(outcome.result?.lease?.takeover).toMatchObject({ why: 'expired' });
    expect(outcome.ms).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 300);
    expect(outcome.ms).toBeLessThan(LEASE_SECONDS * 1000 + 3_000);
    await expectTruthful(outcome, ns, objectsAt('v2'), 'v1');
    report('SIGKILL of a CLI apply; next run elsewhere (no liveness check)', {
      nextRunMs: Math.round(outcome.ms),
      takeover: 'expired',
    });
  });
});

describe('a CLI apply racing a push deployed by plumbline serve', () => {
  const secret = 'race-secret';
  const repo = 'acme/race';
  let git: TestGitRepo;
  let github: GitHubServer;
  let runtime: NodeRuntime;
  let started: RepoRuntime | undefined;
  const logger = new MemoryLogger();

  beforeAll(async () => {
    started = await startRepoRuntime({
      cluster,
      repo,
      webhookSecret: secret,
      githubToken: 'gh-race',
      tokenSecret: 'race-token',
      logger,
      retry: { attempts: 4, delayMs: () => 300, isTransient: () => true },
    });
    ({ git, github, runtime } = started);
  });

  afterAll(async () => {
    await started?.close();
  });

  it('runs one after the other, each truthful, the one that finished last on the cluster', async () => {
    const ns = await freshNamespace(adminKube().client, 'race');
    const manifests = (version: string) =>
      Object.fromEntries(
        objectsAt(version).map((o) => [`apps/faulty/${o.metadata.name}.yaml`, stringify(o)]),
      );
    const config = [
      'apps:',
      '  - name: faulty',
      '    path: apps/faulty',
      '    target: test',
      `    namespace: ${ns}`,
      '',
    ].join('\n');
    const sha = git.commit({ 'plumbline.yaml': config, ...manifests('git') }, 'push');

    // The CLI applies another version through the proxy, slowly, holding the lease meanwhile.
    proxy.clear();
    slowWrites(400);
    const seen0 = proxy.requests.length;
    const c = captureIo();
    const cli = runCli(
      [
        'apply',
        appDir(objectsAt('cli')),
        '--kubeconfig',
        proxy.kubeconfig,
        '-n',
        ns,
        '--app',
        'faulty',
        '--revision',
        'cli-rev',
      ],
      c.io,
    );
    while (
      !proxy.requests.slice(seen0).some((r) => r.method === 'POST' && r.path.includes('/leases'))
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const delivery = await pushDelivery({
      secret,
      repo,
      branch: 'main',
      before: '0'.repeat(40),
      after: sha,
    });
    const response = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(202);
    const code = await cli;
    await runtime.queue.idle();
    proxy.clear();
    expect(code, c.out.stderr).toBe(0);
    expect(c.out.stdout).toContain('faulty at cli-rev: applied');
    const reconciled = logger.find('reconciled');
    expect(reconciled).toHaveLength(1);
    // serve waited for the CLI's lease, then applied the head: the last writer is on the cluster.
    const inventory = await readInventory(adminKube().client, 'faulty', ns);
    expect(inventory.revision).toBe(sha);
    expect(inventory.failed).toBeUndefined();
    await expectTruthful({}, ns, objectsAt('git'), sha);
    expect((await leaseSpec(adminKube().client, 'faulty', ns)).holderIdentity).toBeUndefined();
    const deployment = github.records(repo).deployments.at(-1);
    expect(deployment?.statuses.at(-1)?.state).toBe('success');
    report('CLI apply and serve push at once', {
      cli: 'applied cli-rev first (exit 0)',
      serve: `waited for the lease, applied ${sha.slice(0, 7)}`,
      final: 'head of main, lease free',
    });
  });
});
