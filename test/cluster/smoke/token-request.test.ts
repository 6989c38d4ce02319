import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type AdminRequest, adminClient, uniqueName } from '../../env/admin.ts';

describe('TokenRequest on the test cluster', () => {
  const cluster = inject('cluster');
  let admin: AdminRequest;
  let namespace: string;

  beforeAll(async () => {
    admin = adminClient(cluster);
    namespace = uniqueName('smoke-token');
    const steps: [string, string, unknown][] = [
      ['POST', '/api/v1/namespaces', { metadata: { name: namespace } }],
      ['POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'reader' } }],
      [
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`,
        {
          metadata: { name: 'read-configmaps' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
      ],
      [
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
        {
          metadata: { name: 'reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
        },
      ],
    ];
    for (const [method, path, body] of steps) {
      expect((await admin(method, path, body)).status).toBe(201);
    }
  });

  it('mints a short-lived token that authenticates and is held to its RBAC', async () => {
    const minted = await admin(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/reader/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 600 },
      },
    );
    expect(minted.status).toBe(201);
    const status = minted.body.status as { token: string; expirationTimestamp: string };
    const lifetime = Date.parse(status.expirationTimestamp) - Date.now();
    expect(lifetime).toBeGreaterThan(9 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000 + 5_000);

    const asReader = adminClient(cluster, status.token);
    const review = await asReader('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(review.body).toMatchObject({
      status: { userInfo: { username: `system:serviceaccount:${namespace}:reader` } },
    });
    expect((await asReader('GET', `/api/v1/namespaces/${namespace}/configmaps`)).status).toBe(200);
    const denied = await asReader('GET', `/api/v1/namespaces/${namespace}/secrets`);
    expect(denied.status).toBe(403);
    expect(denied.body.reason).toBe('Forbidden');
  });

  it('refuses a forged token', async () => {
    const forged = adminClient(cluster, 'not-a-real-token');
    expect((await forged('GET', `/api/v1/namespaces/${namespace}/configmaps`)).status).toBe(401);
  });
});
