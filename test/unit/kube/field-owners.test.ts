import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import {
  changedPaths,
  fieldOwners,
  formatPath,
  unheldPaths,
} from '../../../lib/kube/field-owners.ts';

const live = parse(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  managedFields:
  - manager: plumbline
    operation: Apply
    time: "2026-01-01T00:00:00Z"
    fieldsV1:
      f:spec:
        f:template:
          f:spec:
            f:containers:
              k:{"name":"web"}:
                .: {}
                f:name: {}
  - manager: kubectl-scale
    operation: Update
    subresource: scale
    time: "2026-01-02T00:00:00Z"
    fieldsV1:
      f:spec:
        f:replicas: {}
  - manager: kubectl-edit
    operation: Update
    time: "2026-01-03T00:00:00Z"
    fieldsV1:
      f:spec:
        f:template:
          f:spec:
            f:containers:
              k:{"name":"web"}:
                f:image: {}
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: web
        image: nginx:edited
        imagePullPolicy: IfNotPresent
`) as KubeObject;

const desired = parse(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
`) as KubeObject;

describe('drift attribution', () => {
  it('finds the fields Plumbline sets that no longer hold, ignoring server defaults', () => {
    expect(unheldPaths(desired, live).map(formatPath)).toEqual([
      'spec.replicas',
      'spec.template.spec.containers[name=web].image',
    ]);
  });

  it('attributes each drifted field to the manager that now owns it', () => {
    const paths = unheldPaths(desired, live);
    expect(paths.map((p) => fieldOwners(live, p, ['plumbline']))).toEqual([
      ['kubectl-scale (scale)'],
      ['kubectl-edit'],
    ]);
  });

  it('sees nothing unheld when live holds every desired value', () => {
    const synced = structuredClone(live);
    (synced.spec as { replicas: number }).replicas = 2;
    (
      (synced.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
        .containers[0] as { image: string }
    ).image = 'nginx:1.27';
    expect(unheldPaths(desired, synced)).toEqual([]);
  });

  it('lists changed paths between two objects, added and removed included', () => {
    expect(
      changedPaths({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: true }).map(formatPath),
    ).toEqual(['b.c[1]', 'd']);
  });
});
