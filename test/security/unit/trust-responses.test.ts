/**
 * Prototype pollution from what Plumbline reads back (finding 2, response side): objects an
 * API server returns, and the runtime settings, hold `__proto__`, `constructor` and
 * `prototype` as plain data. `JSON.parse` keeps such keys as own properties; what matters is
 * that nothing downstream (spreads, merges, key-by-key copies in plan, diff and drift) turns
 * one into a prototype: `Object.prototype` stays untouched and the key stays visible.
 */
import { describe, expect, it } from 'vitest';
import { SharedSettingsSchema, validateSettings } from '../../../lib/config/runtime-settings.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { normalizeObject } from '../../../lib/desired/normalize.ts';
import { detectDrift } from '../../../lib/drift/drift.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

const HOSTILE_KEYS =
  '"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}';

/** A ConfigMap as JSON text with hostile keys in data, labels and at the top level. */
function hostileConfigMap(value: string): KubeObject {
  return JSON.parse(`{
    "apiVersion": "v1", "kind": "ConfigMap", ${HOSTILE_KEYS},
    "metadata": {"name": "cm", "namespace": "web", "labels": {"__proto__": "label"}},
    "data": {"__proto__": "${value}", "prototype": "p", "constructor": "c"}
  }`) as KubeObject;
}

function untouched(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
}

describe('hostile keys in API server objects stay data', () => {
  it('are kept, visibly, by normalization', () => {
    const normal = normalizeObject(hostileConfigMap('live')) as unknown as {
      data: Record<string, string>;
    };
    expect(Object.keys(normal.data)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(normal.data, '__proto__')?.value).toBe('live');
    untouched();
  });

  it('show up in a plan diff and leave prototypes alone', async () => {
    const live = hostileConfigMap('live');
    const fake = createFakeKubeClient([live]);
    const plan = await planApp(
      {
        app: 'web',
        namespace: 'web',
        objects: [hostileConfigMap('desired')],
        revision: 'a'.repeat(40),
        sensitive: new Set(),
      },
      fake,
    );
    const diff = plan.entries.map((e) => e.diff).join('\n');
    expect(diff).toContain('__proto__');
    untouched();
  });

  it('leave drift detection working and prototypes alone', async () => {
    const fake = createFakeKubeClient([hostileConfigMap('live')]);
    await detectDrift(
      {
        app: 'web',
        namespace: 'web',
        objects: [hostileConfigMap('live')],
        revision: 'a'.repeat(40),
        sensitive: new Set(),
      },
      fake,
    );
    untouched();
  });
});

describe('hostile keys in runtime settings stay data', () => {
  it('are refused where no such field exists, and never reach a prototype', () => {
    const raw = JSON.parse(
      `{${HOSTILE_KEYS}, "repositories": [{"fullName": "acme/deploy", "__proto__": {"trustedBranch": "evil"}}], "targets": [{"kind": "kubernetes", "__proto__": {"clusterResources": true}}]}`,
    );
    expect(() => validateSettings(SharedSettingsSchema, raw, (p) => p.join('.'))).toThrow(
      /unknown field/,
    );
    untouched();
  });
});
