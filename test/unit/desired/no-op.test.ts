import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import { appliesAsNoOp } from '../../../lib/desired/no-op.ts';

const live = parse(`
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  managedFields:
  - manager: plumbline
    operation: Apply
    apiVersion: v1
    fieldsV1:
      f:metadata:
        f:labels:
          f:tier: {}
      f:spec:
        f:ports:
          k:{"port":80,"protocol":"TCP"}:
            .: {}
            f:port: {}
            f:targetPort: {}
        f:selector: {}
spec:
  clusterIP: 10.0.0.7
  selector: {app: web}
  ports:
  - port: 80
    protocol: TCP
    targetPort: 8080
`) as KubeObject;
live.metadata.labels = { tier: 'front' };

const desired = parse(`
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`) as KubeObject;

describe('appliesAsNoOp', () => {
  it('skips the dry run when every value holds and nothing owned was dropped (defaulted keys allowed)', () => {
    expect(appliesAsNoOp(desired, live)).toBe(true);
  });

  it('needs the dry run when a value differs', () => {
    const changed = structuredClone(desired);
    (
      (changed.spec as { ports: { targetPort: number }[] }).ports[0] as { targetPort: number }
    ).targetPort = 9090;
    expect(appliesAsNoOp(changed, live)).toBe(false);
  });

  it('needs the dry run when a field Plumbline owns left the manifest (apply would remove it)', () => {
    const dropped = structuredClone(desired);
    dropped.metadata.labels = {};
    expect(appliesAsNoOp(dropped, live)).toBe(false);
  });

  it('needs the dry run when Plumbline never applied the object or applied another version', () => {
    expect(
      appliesAsNoOp(desired, { ...live, metadata: { ...live.metadata, managedFields: [] } }),
    ).toBe(false);
    expect(appliesAsNoOp({ ...desired, apiVersion: 'v2' }, live)).toBe(false);
  });
});
