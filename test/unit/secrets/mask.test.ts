import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import {
  generatedSibling,
  MASKED,
  markSensitive,
  maskObject,
  maskPair,
  SENSITIVE_ANNOTATION,
} from '../../../lib/secrets/mask.ts';
import { SecretLedger } from '../../../lib/secrets/secret-ledger.ts';

const secret = parse(`
apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"aHVudGVyMg=="}}'
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  user: admin-user
`) as KubeObject;

const config = parse(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  labels: {app: web}
data:
  url: postgres://u:hunter2@db/app
  retries: 3
  flags: [on, off]
  nothing: null
`) as KubeObject;

describe('maskObject', () => {
  it('masks Secret data and stringData values but keeps keys and metadata', () => {
    const masked = maskObject(secret);
    expect(masked.data).toEqual({ password: '***' });
    expect(masked.stringData).toEqual({ user: '***' });
    expect(masked.type).toBe('Opaque');
    expect(masked.metadata.name).toBe('db');
    expect(masked.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '***',
    );
    expect(JSON.stringify(masked)).not.toMatch(/aHVudGVyMg|hunter2|admin-user/);
    expect(secret.data).toEqual({ password: 'aHVudGVyMg==' });
  });

  it('leaves ordinary objects alone', () => {
    expect(maskObject(config)).toBe(config);
  });

  it('masks every non-metadata leaf of a sensitive object', () => {
    const masked = maskObject(config, { sensitive: true });
    expect(masked.data).toEqual({
      url: '***',
      retries: '***',
      flags: ['***', '***'],
      nothing: null,
    });
    expect(masked.metadata).toEqual(config.metadata);
  });
});

describe('maskPair', () => {
  it('shows that a secret changed without showing either value', () => {
    const after = { ...secret, data: { password: 'b3RoZXI=', added: 'bmV3' } };
    const { before: b, after: a } = maskPair(secret, after);
    expect(b?.data).toEqual({ password: '***' });
    expect(a?.data).toEqual({ password: '*** (changed)', added: '***' });
    expect(a?.stringData).toEqual({ user: '***' });
    expect(JSON.stringify([b, a])).not.toMatch(/aHVudGVyMg|b3RoZXI|bmV3|admin-user/);
  });

  it('masks unchanged values the same on both sides', () => {
    const { before: b, after: a } = maskPair(config, structuredClone(config), { sensitive: true });
    expect(b).toEqual(a);
    expect(a?.data).toMatchObject({ url: '***', retries: '***' });
  });

  it('masks a created or deleted object on its only side', () => {
    expect(maskPair(undefined, secret).after?.data).toEqual({ password: '***' });
    expect(maskPair(config, undefined, { sensitive: true }).before?.data).toMatchObject({
      url: '***',
    });
  });

  it('passes ordinary objects through untouched', () => {
    const after = { ...config, data: { url: 'x' } };
    expect(maskPair(config, after)).toEqual({ before: config, after });
  });
});

describe('positions derived from a secret', () => {
  const ledger = new SecretLedger();
  ledger.record(['s3cr3t-value', 'on']);
  const carrier = parse(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, flag: "on"}
  annotations: {copied: s3cr3t-value, plain: "on"}
spec: {replicas: 2}
`) as KubeObject;

  it('masks a label or annotation holding a decrypted value, short ones only in a sensitive object', () => {
    const plainObject = maskObject(carrier, { secrets: ledger });
    expect(plainObject.metadata.annotations).toEqual({ copied: MASKED, plain: 'on' });
    expect(plainObject.metadata.labels).toEqual({ app: 'web', flag: 'on' });
    const sensitive = maskObject(carrier, { sensitive: true, secrets: ledger });
    expect(sensitive.metadata.labels).toEqual({ app: 'web', flag: MASKED });
    expect(sensitive.metadata.annotations).toEqual({ copied: MASKED, plain: MASKED });
  });

  it('records the positions in a mark that masks the live object with no ledger at all', () => {
    const marked = markSensitive(carrier, { sensitive: true, secrets: ledger });
    expect(marked.metadata.annotations?.[SENSITIVE_ANNOTATION]).toBe(
      'body,labels/flag,annotations/copied,annotations/plain',
    );
    // Later, live: the values rotated, and this job decrypted none of them.
    const live = structuredClone(marked);
    (live.metadata.annotations as Record<string, string>).copied = 'old-secret-value';
    const masked = maskObject(live);
    expect(masked.metadata.annotations?.copied).toBe(MASKED);
    expect(masked.spec).toEqual({ replicas: MASKED });
    expect(JSON.stringify(masked)).not.toContain('old-secret-value');
    // A deletion diff, and a change: both sides masked, the change still visible.
    expect(JSON.stringify(maskPair(live, undefined))).not.toContain('old-secret-value');
    const after = markSensitive(carrier, { sensitive: true, secrets: ledger });
    const pair = maskPair(live, after, { secrets: ledger });
    expect(pair.before?.metadata.annotations?.copied).toBe(MASKED);
    expect(pair.after?.metadata.annotations?.copied).toBe('*** (changed)');
  });

  it('leaves objects without a decrypted value unmarked', () => {
    const other = { ...carrier, metadata: { name: 'x', labels: { app: 'web' } } };
    expect(markSensitive(other, { secrets: ledger })).toBe(other);
  });

  it('recognizes an earlier generation of a generated object by its hash suffix', () => {
    const ref = (name: string) => ({ group: '', kind: 'ConfigMap', namespace: 'web', name });
    const current = [ref('app-env-7m2b8tkg4c')];
    expect(generatedSibling(ref('app-env-f7db7f55cb'), current)).toBe(true);
    expect(generatedSibling(ref('other-f7db7f55cb'), current)).toBe(false);
    expect(generatedSibling(ref('app-env'), current)).toBe(false);
    expect(generatedSibling({ ...ref('app-env-f7db7f55cb'), namespace: 'api' }, current)).toBe(
      false,
    );
  });
});
