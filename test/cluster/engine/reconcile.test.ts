/**
 * Issue 12's guarantees against a real API server: drift is a change (declared fields taken
 * back, undeclared ones never fought), prune deletes only what the app owns, and API errors
 * are typed and truthful.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../../functions/cli.ts';
import { nodeKubeFetch } from '../../../functions/node/kube-transport.ts';
import { applyPlan } from '../../../lib/apply/apply.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { ApplyError, KubeError, PruneError } from '../../../lib/errors.ts';
import { parentRef } from '../../../lib/inventory/applyset.ts';
import { createKubeClient } from '../../../lib/kube/client.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { uniqueName } from '../../env/admin.ts';
import { captureIo } from '../../env/cli-io.ts';
import { adminKube, cluster, configMap, deployment, freshNamespace, kubectl } from './cluster.ts';

const holder = 'reconcile-test';

function crdFor(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gizmos.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  };
}

const gizmo = (group: string, name: string, namespace?: string): KubeObject => ({
  apiVersion: `${group}/v1`,
  kind: 'Gizmo',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { size: 1 },
});

describe('drift is a change, not an error', () => {
  it('plan exits 1 naming each drifted field and its manager; apply takes the fields back', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'drift-cli');
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-drift-'));
    writeFileSync(
      join(dir, 'app.yaml'),
      [deployment('web', 2), configMap('conf', { level: 'info' })]
        .map((o) => stringify(o))
        .join('---\n'),
    );
    const flags = [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      ns,
      '--app',
      'web',
      '--revision',
      'r1',
    ];
    expect(await runCli(['apply', dir, ...flags], captureIo().io)).toBe(0);
    expect(await runCli(['plan', dir, ...flags], captureIo().io)).toBe(0);

    await kubectl(['scale', '-n', ns, 'deployment/web', '--replicas=5']);
    await kubectl(['label', '-n', ns, 'configmap/conf', '--overwrite', 'team=ops']);
    await kubectl([
      'patch',
      '-n',
      ns,
      'configmap/conf',
      '--field-manager=kubectl-edit',
      '--type=merge',
      '-p',
      '{"data":{"level":"debug"}}',
    ]);

    let c = captureIo();
    expect(await runCli(['plan', dir, ...flags], c.io)).toBe(1);
    expect(c.out.stderr).toBe('');
    expect(c.out.stdout).toContain(
      `# update Deployment.apps ${ns}/web (drift: the apply takes back spec.replicas (kubectl (scale)))`,
    );
    expect(c.out.stdout).toContain(
      `# update ConfigMap ${ns}/conf (drift: the apply takes back data.level (kubectl-edit))`,
    );
    // A label Git does not declare is not drift: it stays.
    expect(c.out.stdout).not.toContain('team');
    c = captureIo();
    expect(await runCli(['plan', dir, ...flags, '-o', 'json'], c.io)).toBe(1);
    expect(JSON.parse(c.out.stdout).summary).toMatchObject({ update: 2, drifted: 2, errors: 0 });

    c = captureIo();
    expect(await runCli(['apply', dir, ...flags], c.io)).toBe(0);
    expect(c.out.stdout).toContain(`Deployment.apps ${ns}/web configured`);
    const web = await client.get({ group: 'apps', kind: 'Deployment', namespace: ns, name: 'web' });
    expect(web?.spec).toMatchObject({ replicas: 2 });
    const conf = await client.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'conf' });
    expect(conf?.data).toEqual({ level: 'info' });
    expect(conf?.metadata.labels?.team).toBe('ops');
    expect(await runCli(['plan', dir, ...flags], captureIo().io)).toBe(0);

    // With --fail-on-conflict, drift is an error the apply would meet: exit 2.
    await kubectl(['scale', '-n', ns, 'deployment/web', '--replicas=3']);
    c = captureIo();
    expect(await runCli(['plan', dir, ...flags, '--fail-on-conflict'], c.io)).toBe(2);
    expect(c.out.stdout).toContain('409 Conflict');
    c = captureIo();
    expect(await runCli(['apply', dir, ...flags, '--fail-on-conflict'], c.io)).toBe(2);
    expect(c.out.stdout).toContain('FAILED');
  });

  it('never fights an HPA: replicas left out of Git stay as the autoscaler set them', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'hpa');
    const web = deployment('web', 1);
    delete (web.spec as { replicas?: number }).replicas;
    const hpa: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
    };
    const input = { app: 'web', namespace: ns, objects: [web, hpa], revision: 'r1' };
    expect((await applyPlan(input, client, { holder })).ok).toBe(true);
    // The autoscaler scales through the scale subresource (here on its behalf).
    await kubectl(['scale', '-n', ns, 'deployment/web', '--replicas=4']);
    const plan = await planApp(input, client);
    expect(plan.summary).toMatchObject({ update: 0, drifted: 0, errors: 0 });
    // A change Git makes to the Deployment leaves replicas alone.
    const next = deployment('web', 1, 'nginx:1.28');
    delete (next.spec as { replicas?: number }).replicas;
    const result = await applyPlan({ ...input, objects: [next, hpa], revision: 'r2' }, client, {
      holder,
    });
    expect(result.ok).toBe(true);
    const live = await client.get({
      group: 'apps',
      kind: 'Deployment',
      namespace: ns,
      name: 'web',
    });
    expect(live?.spec).toMatchObject({ replicas: 4 });
  });
});

describe('prune deletes only what the app owns', () => {
  it('refuses to delete a CRD whose objects live outside the set, counting them, until opted in', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'prune-crd');
    const other = await freshNamespace(client, 'prune-crd-other');
    const group = `${uniqueName('g')}.example.com`;
    const crd = crdFor(group);
    const input = { app: 'gizmos', namespace: ns, revision: 'r1' };
    expect(
      (await applyPlan({ ...input, objects: [crd, gizmo(group, 'ours')] }, client, { holder })).ok,
    ).toBe(true);
    // A team elsewhere uses the kind: Plumbline does not own their object.
    await client.apply(gizmo(group, 'theirs', other), { fieldManager: 'other-team' });

    const removed = { ...input, revision: 'r2', objects: [configMap('keep', { v: '1' })] };
    const plan = await planApp(removed, client);
    const crdEntry = plan.entries.find((e) => e.ref.kind === 'CustomResourceDefinition');
    expect(crdEntry).toMatchObject({
      action: 'delete',
      error: `CustomResourceDefinition.apiextensions.k8s.io gizmos.${group}: not pruned: deleting it would delete 1 object(s) outside the app's set`,
    });
    expect(plan.warnings).toContain(crdEntry?.error);

    const refused = await applyPlan(removed, client, { holder, allowMassPrune: true });
    expect(refused.ok).toBe(false);
    const [error] = refused.errors;
    expect(error).toBeInstanceOf(PruneError);
    expect((error as PruneError).refused).toBe(true);
    expect(error?.hint).toContain('plumbline.dev/prune-contents');
    expect(
      await client.get({ group, kind: 'Gizmo', namespace: other, name: 'theirs' }),
    ).toBeDefined();
    // Its own object of that kind was pruned (before the CRD, in reverse order).
    expect(await client.get({ group, kind: 'Gizmo', namespace: ns, name: 'ours' })).toBeUndefined();
    const parent = await client.get(parentRef('gizmos', ns));
    expect(parent?.metadata.annotations?.['plumbline.dev/failed']).toBe('prune');

    // The app opts in: the CRD goes, and the foreign object with it.
    const allowed = await applyPlan(removed, client, {
      holder,
      allowMassPrune: true,
      pruneContents: true,
    });
    expect(allowed.ok).toBe(true);
    expect(allowed.entries.find((e) => e.ref.kind === 'CustomResourceDefinition')?.action).toBe(
      'deleted',
    );
  });

  it('refuses to delete a CRD whose objects are still in Git, even opted in', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'prune-crd-git');
    const group = `${uniqueName('g')}.example.com`;
    const input = { app: 'gizmos', namespace: ns, revision: 'r1' };
    await applyPlan(
      { ...input, objects: [crdFor(group), gizmo(group, 'a'), configMap('c', { v: '1' })] },
      client,
      { holder },
    );
    const onlyCrdRemoved = {
      ...input,
      revision: 'r2',
      objects: [gizmo(group, 'a'), configMap('c', { v: '1' })],
    };
    const result = await applyPlan(onlyCrdRemoved, client, { holder, pruneContents: true });
    expect(result.ok).toBe(false);
    expect(result.errors[0]?.message).toBe(
      `CustomResourceDefinition.apiextensions.k8s.io gizmos.${group}: not pruned: deleting it would delete 1 object(s) still in Git`,
    );
    expect(await client.get({ group, kind: 'Gizmo', namespace: ns, name: 'a' })).toBeDefined();
    await client.delete({
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      namespace: '',
      name: `gizmos.${group}`,
    });
  });

  it('refuses to delete a Namespace holding foreign objects, but not for what Kubernetes put there', async () => {
    const { client } = adminKube();
    const home = await freshNamespace(client, 'prune-ns');
    const extra = uniqueName('prune-extra');
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra } };
    const input = { app: 'team', namespace: home, revision: 'r1' };
    const objects = [ns, configMap('a', { v: '1' }, extra), configMap('b', { v: '1' })];
    expect((await applyPlan({ ...input, objects }, client, { holder })).ok).toBe(true);
    await client.apply(configMap('foreign', { v: '1' }, extra), { fieldManager: 'someone' });

    const removed = { ...input, revision: 'r2', objects: [configMap('b', { v: '1' })] };
    const refused = await applyPlan(removed, client, { holder, allowMassPrune: true });
    expect(refused.errors.map((e) => e.message)).toEqual([
      `Namespace ${extra}: not pruned: deleting it would delete 1 object(s) outside the app's set`,
    ]);
    expect(
      await client.get({ group: '', kind: 'Namespace', namespace: '', name: extra }),
    ).toBeDefined();
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: extra, name: 'foreign' }),
    ).toBeDefined();

    // Once the foreign object is gone, the default ServiceAccount and kube-root-ca.crt that
    // Kubernetes keeps in every namespace do not hold the deletion back.
    await client.delete({ group: '', kind: 'ConfigMap', namespace: extra, name: 'foreign' });
    const pruned = await applyPlan(removed, client, { holder, allowMassPrune: true });
    expect(pruned.ok).toBe(true);
    expect(pruned.entries.find((e) => e.ref.kind === 'Namespace')?.action).toBe('deleted');
  });

  it('never prunes the app’s own namespace', async () => {
    const { client } = adminKube();
    const home = uniqueName('prune-home');
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: home } };
    const input = { app: 'self', namespace: home, revision: 'r1' };
    expect(
      (await applyPlan({ ...input, objects: [ns, configMap('a', { v: '1' })] }, client, { holder }))
        .ok,
    ).toBe(true);
    const result = await applyPlan(
      { ...input, revision: 'r2', objects: [configMap('a', { v: '1' })] },
      client,
      {
        holder,
        pruneContents: true,
      },
    );
    expect(result.errors.map((e) => e.message)).toEqual([
      `Namespace ${home}: not pruned: it is the app's own namespace, where its inventory and lease live`,
    ]);
    expect(
      await client.get({ group: '', kind: 'Namespace', namespace: '', name: home }),
    ).toBeDefined();
  });
});

describe('typed, truthful errors', () => {
  it('shows a type error’s 500 with its reason and message, and does not retry it', async () => {
    const { client: admin } = adminKube();
    const ns = await freshNamespace(admin, 'typed');
    const patches: string[] = [];
    const base = nodeKubeFetch({
      server: cluster.server,
      caPem: cluster.caPem,
      certPem: cluster.admin.certPem,
      keyPem: cluster.admin.keyPem,
    });
    const client = createKubeClient({
      server: cluster.server,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
        if (init?.method === 'PATCH' && !String(input).includes('/secrets/'))
          patches.push(String(input));
        return base(input, init);
      }) as typeof fetch,
    });
    const bad = deployment('web', 1);
    (bad.spec as Record<string, unknown>).replicas = 'two';
    const result = await applyPlan(
      { app: 'typed', namespace: ns, objects: [bad], revision: 'r1' },
      client,
      { holder },
    );
    expect(result.ok).toBe(false);
    const [error] = result.errors;
    expect(error).toBeInstanceOf(ApplyError);
    expect(error?.message).toBe(
      `Deployment.apps ${ns}/web: apply failed (500 InternalError): failed to create typed patch object (${ns}/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string`,
    );
    expect(error?.hint).toBe(
      'a field has a value of the wrong type for its schema: fix the manifest',
    );
    expect(error?.cause).toBeInstanceOf(KubeError);
    expect(error?.cause).toMatchObject({ transient: false, status: 500, reason: 'InternalError' });
    expect(patches.filter((p) => p.includes('/deployments/'))).toHaveLength(1);
  });
});
