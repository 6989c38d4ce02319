import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { createKubeClient, sharedDiscovery } from '../../../lib/kube/client.ts';

type Call = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
};

const aggregatedCore = {
  kind: 'APIGroupDiscoveryList',
  items: [
    {
      metadata: { name: '' },
      versions: [
        {
          version: 'v1',
          resources: [
            {
              resource: 'configmaps',
              responseKind: { kind: 'ConfigMap' },
              scope: 'Namespaced',
              verbs: ['get'],
            },
            {
              resource: 'secrets',
              responseKind: { kind: 'Secret' },
              scope: 'Namespaced',
              verbs: ['get'],
            },
            {
              resource: 'namespaces',
              responseKind: { kind: 'Namespace' },
              scope: 'Cluster',
              verbs: ['get'],
            },
          ],
        },
      ],
    },
  ],
};
const aggregatedApis = {
  kind: 'APIGroupDiscoveryList',
  items: [
    {
      metadata: { name: 'apps' },
      versions: [
        {
          version: 'v1',
          resources: [
            { resource: 'deployments', responseKind: { kind: 'Deployment' }, scope: 'Namespaced' },
          ],
        },
      ],
    },
  ],
};

/** A scripted transport: routes answer by `METHOD path` prefix; every call is recorded. */
function scripted(routes: Record<string, (call: Call) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const call: Call = {
      method: init?.method ?? 'GET',
      url,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
    };
    calls.push(call);
    const path = new URL(url).pathname;
    const key = Object.keys(routes)
      .filter((k) => `${call.method} ${path}`.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (!key) return new Response('not scripted', { status: 599 });
    return (routes[key] as (call: Call) => Response)(call);
  }) as typeof fetch;
  return { calls, fetchFn };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const discovery = {
  'GET /api': () => json(aggregatedCore),
  'GET /apis': () => json(aggregatedApis),
};
const noSleep = async () => {};
const cm = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web', namespace: 'shop' },
  data: { a: '1' },
};

describe('KubeClient', () => {
  it('applies server-side with the plumbline field manager, force and dry run, without managedFields', async () => {
    const { calls, fetchFn } = scripted({
      ...discovery,
      'PATCH /api/v1/namespaces/shop/configmaps/web': (call) => json(JSON.parse(call.body ?? '{}')),
    });
    const client = createKubeClient({
      server: 'https://k8s.test/',
      fetch: fetchFn,
      headers: { authorization: 'Bearer t' },
    });
    await client.apply(
      { ...cm, metadata: { ...cm.metadata, managedFields: [{ manager: 'x' }] } },
      { dryRun: true, force: true },
    );
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch?.url).toBe(
      'https://k8s.test/api/v1/namespaces/shop/configmaps/web?fieldManager=plumbline&force=true&dryRun=All&fieldValidation=Strict',
    );
    expect(patch?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(patch?.headers.authorization).toBe('Bearer t');
    expect(JSON.parse(patch?.body ?? '{}').metadata.managedFields).toBeUndefined();
  });

  it('caches discovery: two calls on one kind cost two discovery requests in total', async () => {
    const { calls, fetchFn } = scripted({
      ...discovery,
      'GET /apis/apps/v1/namespaces/shop/deployments/': () =>
        json({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const ref = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
    await client.get(ref);
    await client.get(ref);
    expect(calls.filter((c) => /\/apis?$/.test(new URL(c.url).pathname))).toHaveLength(2);
    expect(calls).toHaveLength(4);
  });

  it('falls back to legacy discovery when the server has no aggregated discovery', async () => {
    const { fetchFn } = scripted({
      'GET /api/v1': () =>
        json({
          resources: [
            { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
            { name: 'configmaps/status', kind: 'ConfigMap', namespaced: true },
          ],
        }),
      'GET /api': () => json({ kind: 'APIVersions', versions: ['v1'] }),
      'GET /apis/apps/v1': () =>
        json({ resources: [{ name: 'deployments', kind: 'Deployment', namespaced: true }] }),
      'GET /apis': () =>
        json({
          kind: 'APIGroupList',
          groups: [
            { name: 'apps', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } },
          ],
        }),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    expect(await client.discover('apps', 'Deployment')).toMatchObject({
      resource: 'deployments',
      namespaced: true,
      version: 'v1',
    });
    expect(await client.discover('', 'ConfigMap')).toMatchObject({ resource: 'configmaps' });
  });

  it('retries 429, 503 and dropped connections with backoff, then succeeds', async () => {
    let attempt = 0;
    const sleeps: number[] = [];
    const { fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () => {
        attempt++;
        if (attempt === 1)
          return json({ kind: 'Status', reason: 'TooManyRequests' }, 429, { 'retry-after': '1' });
        if (attempt === 2) return json({ kind: 'Status', reason: 'ServiceUnavailable' }, 503);
        if (attempt === 3) throw new TypeError('fetch failed: socket hang up');
        return json(cm);
      },
    });
    const client = createKubeClient({
      server: 'https://k8s.test',
      fetch: fetchFn,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const live = await client.get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' });
    expect(live?.metadata.name).toBe('web');
    expect(attempt).toBe(4);
    expect(sleeps[0]).toBe(1000);
    expect(sleeps).toHaveLength(3);
  });

  it('gives up after the last attempt with a KubeError of status 0 naming the object', async () => {
    const { fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () => {
        throw new TypeError('connect ECONNREFUSED');
      },
    });
    const client = createKubeClient({
      server: 'https://k8s.test',
      fetch: fetchFn,
      sleep: noSleep,
      retry: { attempts: 2 },
    });
    const error = await client
      .get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(
      /^ConfigMap shop\/web: get failed: no answer .* after 2 attempts/,
    );
  });

  it.each([
    [401, 'Unauthorized', /credential was refused/],
    [403, 'Forbidden', /RBAC/],
    [409, 'Conflict', /field manager/],
    [422, 'Invalid', /invalid/],
  ])('turns %i into a KubeError with reason %s naming the object', async (status, reason, hint) => {
    const { fetchFn } = scripted({
      ...discovery,
      'PATCH /api/v1/namespaces/shop/configmaps/web': () =>
        json(
          {
            kind: 'Status',
            reason,
            code: status,
            message: `configmaps "web" is ${reason}`,
            details: {
              causes: [
                {
                  type: 'FieldManagerConflict',
                  field: '.data.a',
                  message: 'conflict with "kubectl-edit"',
                },
              ],
            },
          },
          status,
        ),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn, sleep: noSleep });
    const error = await client.apply(cm).catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(status);
    expect(error.reason).toBe(reason);
    expect(error.message.startsWith(`ConfigMap shop/web: apply failed (${status} ${reason})`)).toBe(
      true,
    );
    expect(error.hint).toMatch(hint);
    if (status === 409) expect(error.message).toContain('.data.a: conflict with "kubectl-edit"');
  });

  it('does not retry a 500 the object caused, names its reason and hints at the manifest', async () => {
    let patches = 0;
    const { fetchFn } = scripted({
      ...discovery,
      'PATCH /api/v1/namespaces/shop/configmaps/web': () => {
        patches++;
        // What kube-apiserver answers for a value of the wrong type: a Status with no reason.
        return json(
          {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message:
              'failed to create typed patch object (shop/web; /v1, Kind=ConfigMap): .data.a: expected string, got &value.valueUnstructured{Value:1}',
            code: 500,
          },
          500,
        );
      },
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn, sleep: noSleep });
    const error = await client.apply(cm).catch((e) => e);
    expect(patches).toBe(1);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ status: 500, reason: 'InternalError', transient: false });
    expect(error.message).toMatch(
      /^ConfigMap shop\/web: apply failed \(500 InternalError\): failed to create typed patch object/,
    );
    expect(error.hint).toBe(
      'a field has a value of the wrong type for its schema: fix the manifest',
    );
  });

  it('retries a 500 the server did not pin on the request (etcd), and a page from a proxy', async () => {
    let attempt = 0;
    const { fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () => {
        attempt++;
        if (attempt === 1) {
          return json({ kind: 'Status', code: 500, message: 'etcdserver: leader changed' }, 500);
        }
        if (attempt === 2) return new Response('<html>bad gateway</html>', { status: 500 });
        return json(cm);
      },
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn, sleep: noSleep });
    expect(
      await client.get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' }),
    ).toBeDefined();
    expect(attempt).toBe(3);
  });

  it('gives up at once, transient, when Retry-After asks for longer than it waits in place', async () => {
    let attempt = 0;
    const sleeps: number[] = [];
    const { fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () => {
        attempt++;
        return json({ kind: 'Status', reason: 'TooManyRequests', code: 429 }, 429, {
          'retry-after': '120',
        });
      },
    });
    const client = createKubeClient({
      server: 'https://k8s.test',
      fetch: fetchFn,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await client
      .get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' })
      .catch((e) => e);
    expect(attempt).toBe(1);
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ status: 429, reason: 'TooManyRequests', transient: true });
  });

  it('replaces with a resourceVersion precondition (PUT), and refuses without one', async () => {
    const { calls, fetchFn } = scripted({
      ...discovery,
      'PUT /api/v1/namespaces/shop/configmaps/web': (call) => json(JSON.parse(call.body ?? '{}')),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn, sleep: noSleep });
    await client.replace({ ...cm, metadata: { ...cm.metadata, resourceVersion: '7' } });
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.url).toBe(
      'https://k8s.test/api/v1/namespaces/shop/configmaps/web?fieldManager=plumbline',
    );
    expect(JSON.parse(put?.body ?? '{}').metadata.resourceVersion).toBe('7');
    const error = await client.replace(cm).catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.message).toBe('ConfigMap shop/web: replace needs metadata.resourceVersion');
  });

  it('answers undefined for a missing object and absent for deleting one', async () => {
    const { fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () =>
        json({ kind: 'Status', reason: 'NotFound' }, 404),
      'DELETE /api/v1/namespaces/shop/configmaps/web': () =>
        json({ kind: 'Status', reason: 'NotFound' }, 404),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const ref = { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' };
    expect(await client.get(ref)).toBeUndefined();
    expect(await client.delete(ref)).toBe('absent');
  });

  it('deletes with preconditions and a propagation policy', async () => {
    const { calls, fetchFn } = scripted({
      ...discovery,
      'DELETE /api/v1/namespaces/shop/configmaps/web': () =>
        json({ kind: 'Status', status: 'Success' }),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const outcome = await client.delete(
      { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' },
      { preconditions: { uid: 'u1', resourceVersion: '7' }, propagationPolicy: 'Background' },
    );
    expect(outcome).toBe('deleted');
    const body = JSON.parse(calls.at(-1)?.body ?? '{}');
    expect(body).toMatchObject({
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      preconditions: { uid: 'u1', resourceVersion: '7' },
    });
  });

  it('never echoes a Secret value from a validation message', async () => {
    const { fetchFn } = scripted({
      ...discovery,
      'PATCH /api/v1/namespaces/shop/secrets/db': () =>
        json(
          {
            kind: 'Status',
            reason: 'Invalid',
            message:
              'Secret "db" is invalid: type: Invalid value: "hunter2-secret": field is immutable',
          },
          422,
        ),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const error = await client
      .apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('Invalid value: "***"');
  });

  it('names the kind when the server does not serve it', async () => {
    const { fetchFn } = scripted(discovery);
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const error = await client.discover('example.com', 'Widget').catch((e) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error.reason).toBe('NoKindMatch');
    expect(error.message).toMatch(/^Widget\.example\.com: the API server serves no such kind/);
  });

  it('mints a token through TokenRequest', async () => {
    const { calls, fetchFn } = scripted({
      'POST /api/v1/namespaces/ci/serviceaccounts/deployer/token': () =>
        json({ status: { token: 'abc', expirationTimestamp: '2030-01-01T00:10:00Z' } }, 201),
    });
    const client = createKubeClient({ server: 'https://k8s.test', fetch: fetchFn });
    const minted = await client.createToken('ci', 'deployer', {
      expirationSeconds: 600,
      audiences: ['https://k8s.test'],
    });
    expect(minted).toEqual({ token: 'abc', expirationTimestamp: '2030-01-01T00:10:00Z' });
    expect(JSON.parse(calls[0]?.body ?? '{}').spec).toEqual({
      expirationSeconds: 600,
      audiences: ['https://k8s.test'],
    });
  });
});

describe('discovery shared by the clients of one binding', () => {
  const discoveryCalls = (calls: Call[]) =>
    calls.filter((c) => /^\/apis?$/.test(new URL(c.url).pathname));

  it('lists the kinds once for every client, until its time is up', async () => {
    const { calls, fetchFn } = scripted({
      ...discovery,
      'GET /api/v1/namespaces/shop/configmaps/web': () => json(cm),
    });
    let clock = 0;
    const shared = sharedDiscovery(30_000, () => clock);
    const client = () =>
      createKubeClient({
        server: 'https://k8s.test',
        fetch: fetchFn,
        sleep: noSleep,
        discoveryCache: shared,
      });
    const ref = { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'web' };
    await client().get(ref);
    await client().get(ref);
    expect(discoveryCalls(calls)).toHaveLength(2); // /api and /apis, once
    clock = 30_000;
    await client().get(ref);
    expect(discoveryCalls(calls)).toHaveLength(4);
  });

  it('looks again for a kind it does not know, and a client that invalidates it does so for all', async () => {
    let withWidget = false;
    const apis = () =>
      json({
        kind: 'APIGroupDiscoveryList',
        items: [
          ...aggregatedApis.items,
          ...(withWidget
            ? [
                {
                  metadata: { name: 'example.com' },
                  versions: [
                    {
                      version: 'v1',
                      resources: [
                        {
                          resource: 'widgets',
                          responseKind: { kind: 'Widget' },
                          scope: 'Namespaced',
                        },
                      ],
                    },
                  ],
                },
              ]
            : []),
        ],
      });
    const { calls, fetchFn } = scripted({
      'GET /api': () => json(aggregatedCore),
      'GET /apis': apis,
    });
    const shared = sharedDiscovery();
    const client = () =>
      createKubeClient({
        server: 'https://k8s.test',
        fetch: fetchFn,
        sleep: noSleep,
        discoveryCache: shared,
      });
    await client().discover('', 'ConfigMap');
    withWidget = true;
    // Established since the cache was filled: found after one more look.
    expect((await client().discover('example.com', 'Widget')).resource).toBe('widgets');
    const before = discoveryCalls(calls).length;
    client().invalidateDiscovery();
    await client().discover('', 'ConfigMap');
    expect(discoveryCalls(calls).length).toBe(before + 2);
  });
});
