import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApplyError } from '../../../lib/errors.ts';
import {
  applySetId,
  membership,
  parentObject,
  parentRef,
  readInventory,
} from '../../../lib/inventory/applyset.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

describe('ApplySet', () => {
  it('computes the id from name.namespace.Kind.group as the spec says', async () => {
    const expected = `applyset-${createHash('sha256').update('web.shop.Secret.').digest('base64url')}-v1`;
    expect(await applySetId(parentRef('web', 'shop'))).toBe(expected);
    expect(await applySetId({ group: 'example.com', kind: 'Set', namespace: '', name: 'x' })).toBe(
      `applyset-${createHash('sha256').update('x..Set.example.com').digest('base64url')}-v1`,
    );
  });

  it('records sorted group-kinds and additional namespaces on the parent', async () => {
    const set = membership(
      [
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'shop' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'other' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
      ],
      'shop',
    );
    expect(set).toEqual({
      groupKinds: ['ConfigMap', 'Deployment.apps', 'Namespace'],
      namespaces: ['other'],
    });
    const parent = parentObject({ parent: parentRef('web', 'shop'), id: 'applyset-x-v1' }, set);
    expect(parent.metadata.annotations).toEqual({
      'applyset.kubernetes.io/tooling': 'plumbline/0.1.0',
      'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap,Deployment.apps,Namespace',
      'applyset.kubernetes.io/additional-namespaces': 'other',
    });
    expect(parent.metadata.labels).toEqual({ 'applyset.kubernetes.io/id': 'applyset-x-v1' });
  });

  it('refuses a set that another tool manages and changes nothing', async () => {
    const client = createFakeKubeClient([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'web',
          namespace: 'shop',
          annotations: { 'applyset.kubernetes.io/tooling': 'kubectl/v1.36.3' },
        },
      },
    ]);
    const error = await readInventory(client, 'web', 'shop').catch((e) => e);
    expect(error).toBeInstanceOf(ApplyError);
    expect(error.message).toBe(
      'Secret shop/web: this ApplySet is managed by kubectl/v1.36.3, not Plumbline',
    );
    expect(client.calls.filter((c) => !c.startsWith('get'))).toEqual([]);
  });
});
