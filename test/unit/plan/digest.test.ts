import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../../lib/core/encoding.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { objectsDigest } from '../../../lib/desired/digest.ts';
import { canonicalDigest } from '../../../lib/inventory/applyset.ts';
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

describe('digests', () => {
  it('are all sha256:<hex>, and a bare hex recorded by an earlier version reads the same', async () => {
    const digest = await sha256Digest('x');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(canonicalDigest(digest.slice('sha256:'.length))).toBe(digest);
    expect(canonicalDigest(digest)).toBe(digest);
    expect(canonicalDigest('')).toBeUndefined();
  });

  it('bind the plan to both halves: the rendered objects and the live state', async () => {
    const base = await planDigest({ desired: 'sha256:a', live: 'sha256:b' });
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await planDigest({ desired: 'sha256:a', live: 'sha256:c' })).not.toBe(base);
    expect(await planDigest({ desired: 'sha256:c', live: 'sha256:b' })).not.toBe(base);
    expect(await planDigest({ desired: 'sha256:a', live: 'sha256:b' })).toBe(base);
  });

  it('of objects do not depend on their order', async () => {
    const a = await objectsDigest([configMap('blue'), secret('x')]);
    const b = await objectsDigest([secret('x'), configMap('blue')]);
    expect(a).toBe(b);
    expect(await objectsDigest([configMap('green')])).not.toBe(
      await objectsDigest([configMap('blue')]),
    );
  });

  it('never hash a secret value: Secrets and sensitive objects are masked first', async () => {
    expect(await objectsDigest([secret('hunter2')])).toBe(
      await objectsDigest([secret('correct-horse')]),
    );
    const sensitive = new Set(['|ConfigMap|web|settings']);
    expect(await objectsDigest([configMap('from-sops-1')], { sensitive })).toBe(
      await objectsDigest([configMap('from-sops-2')], { sensitive }),
    );
  });
});
