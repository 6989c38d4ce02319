import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../lib/core/object.ts';
import { planDigest } from '../../../lib/plan/digest.ts';

const secret = (password: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'web' },
  stringData: { password },
});

const configMap = (color: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'web' },
  data: { color },
});

describe('planDigest', () => {
  it('binds the revision, the objects and the live resourceVersions', async () => {
    const base = await planDigest('abc', [configMap('blue')], new Map([['k', '1']]));
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await planDigest('abd', [configMap('blue')], new Map([['k', '1']]))).not.toBe(base);
    expect(await planDigest('abc', [configMap('green')], new Map([['k', '1']]))).not.toBe(base);
    expect(await planDigest('abc', [configMap('blue')], new Map([['k', '2']]))).not.toBe(base);
  });

  it('does not depend on the order of the objects', async () => {
    const a = await planDigest('abc', [configMap('blue'), secret('x')], new Map());
    const b = await planDigest('abc', [secret('x'), configMap('blue')], new Map());
    expect(a).toBe(b);
  });

  it('never hashes a secret value: Secrets and sensitive objects are masked first', async () => {
    expect(await planDigest('abc', [secret('hunter2')], new Map())).toBe(
      await planDigest('abc', [secret('correct-horse')], new Map()),
    );
    const sensitive = new Set(['|ConfigMap|web|settings']);
    expect(await planDigest('abc', [configMap('from-sops-1')], new Map(), sensitive)).toBe(
      await planDigest('abc', [configMap('from-sops-2')], new Map(), sensitive),
    );
  });
});
