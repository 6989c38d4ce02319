import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type AdminRequest, adminClient, uniqueName } from '../../env/admin.ts';

describe('the test cluster', () => {
  const cluster = inject('cluster');
  let admin: AdminRequest;
  let namespace: string;

  beforeAll(async () => {
    admin = adminClient(cluster);
    namespace = uniqueName('smoke-ssa');
    const created = await admin('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    expect(created.status).toBe(201);
  });

  it('runs the Kubernetes release the environment pinned', async () => {
    const version = await admin('GET', '/version');
    expect(version.body.gitVersion).toBe(cluster.version);
  });

  it('server-side applies a ConfigMap with field manager plumbline and records its fields', async () => {
    const path = `/api/v1/namespaces/${namespace}/configmaps/settings?fieldManager=plumbline&force=true`;
    const applied = await admin(
      'PATCH',
      path,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace },
        data: { color: 'blue' },
      },
      { 'content-type': 'application/apply-patch+yaml' },
    );
    expect(applied.status).toBe(201);

    const read = await admin('GET', `/api/v1/namespaces/${namespace}/configmaps/settings`);
    expect(read.body).toMatchObject({ data: { color: 'blue' } });
    const managedFields = (read.body.metadata as { managedFields: Record<string, unknown>[] })
      .managedFields;
    expect(managedFields).toHaveLength(1);
    expect(managedFields[0]).toMatchObject({
      manager: 'plumbline',
      operation: 'Apply',
      apiVersion: 'v1',
      fieldsV1: { 'f:data': { 'f:color': {} } },
    });
  });
});
