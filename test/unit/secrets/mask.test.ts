import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import {
  maskObject,
  maskPair,
  redact,
  secretToken,
  secretValues,
} from '../../../lib/secrets/mask.ts';

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

describe('redact', () => {
  it('removes secrets and their base64 and JSON-escaped forms from text', () => {
    const values = secretValues(secret);
    expect(values).toContain('hunter2');
    const line = 'applied {"password":"aHVudGVyMg=="} user=admin-user pw=hunter2';
    expect(redact(line, values)).toBe('applied {"password":"***"} user=*** pw=***');
    expect(redact('say "a\\"b\\nc"', ['a"b\nc'])).toBe('say "***"');
  });

  it('ignores secrets too short to name', () => {
    expect(redact('on 1 2 3', ['on', '1'])).toBe('on 1 2 3');
  });
});

describe('secretToken', () => {
  it('compares equal values equal and reveals no plain SHA-256 of them', async () => {
    const a = await secretToken('hunter2');
    expect(await secretToken('hunter2')).toBe(a);
    expect(await secretToken('hunter3')).not.toBe(a);
    const plain = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode('hunter2')),
    );
    expect(a).not.toBe([...plain].map((b) => b.toString(16).padStart(2, '0')).join(''));
  });
});
