import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type AdminRequest, adminClient, uniqueName } from '../../env/admin.ts';

describe('workloads on the test cluster (KWOK)', () => {
  const cluster = inject('cluster');
  let admin: AdminRequest;
  let namespace: string;

  beforeAll(async () => {
    admin = adminClient(cluster);
    namespace = uniqueName('smoke-kwok');
    expect(
      (await admin('POST', '/api/v1/namespaces', { metadata: { name: namespace } })).status,
    ).toBe(201);
  });

  it('runs the controller manager, the scheduler and KWOK', () => {
    expect(cluster.workloads).toBe(true);
  });

  it('brings a Deployment to Available on the fake node', async () => {
    const labels = { app: 'web' };
    const created = await admin('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    });
    expect(created.status).toBe(201);

    let status: { availableReplicas?: number; conditions?: { type: string; status: string }[] } =
      {};
    for (let i = 0; i < 120; i++) {
      const read = await admin('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
      status = read.body.status as typeof status;
      if (status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) break;
      await sleep(500);
    }
    expect(status.availableReplicas).toBe(2);
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Available', status: 'True' }),
    );

    const pods = await admin('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dweb`);
    const items = pods.body.items as { spec: { nodeName: string }; status: { phase: string } }[];
    expect(items).toHaveLength(2);
    for (const pod of items) {
      expect(pod.spec.nodeName).toBe('kwok-node-0');
      expect(pod.status.phase).toBe('Running');
    }
  });
});
