/**
 * Finding 2 of issue 11: a JSON patch `add /__proto__/insecureSkipTlsVerify` changed
 * `Object.prototype` for the whole process. Every payload of the corpus is rendered in-process;
 * none may change a built-in prototype, and each ends as kustomize ends it (checked against the
 * real kustomize in `tools/render-pollution.test.ts`): names are data, or the render is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { PlumblineError, RenderError } from '../../../lib/errors.ts';
import { isDataMap } from '../../../lib/render/data-map.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { prototypeChanges, snapshotPrototypes } from '../prototype-state.ts';
import { pollutionPayloads } from '../render-pollution-corpus.ts';

/** Every mapping reachable from `value`. */
function* mappings(value: unknown): Generator<object> {
  if (Array.isArray(value)) for (const item of value) yield* mappings(item);
  else if (typeof value === 'object' && value !== null) {
    yield value;
    for (const key of Object.keys(value)) yield* mappings((value as Record<string, unknown>)[key]);
  }
}

describe('rendering prototype-pollution payloads', () => {
  let before: ReturnType<typeof snapshotPrototypes>;
  beforeEach(() => {
    before = snapshotPrototypes();
  });
  afterEach(() => {
    expect(prototypeChanges(before)).toEqual([]);
  });

  it('leaves Object.prototype without insecureSkipTlsVerify after the JSON patch that set it', async () => {
    const payload = pollutionPayloads[0];
    const error = await renderApp(new MemoryFileTree(payload?.files ?? {}), 'app').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      "app/ops.yaml: JSON patch operation 0 (add /__proto__/insecureSkipTlsVerify) on v1 ConfigMap cfg: path '/__proto__/insecureSkipTlsVerify' does not exist",
    );
    expect(({} as Record<string, unknown>).insecureSkipTlsVerify).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'hasOwnProperty')).toBe(true);
  });

  for (const payload of pollutionPayloads) {
    it(`${payload.name}: ${payload.outcome === 'renders' ? 'renders the names as data' : 'is refused'}`, async () => {
      const outcome = await renderApp(new MemoryFileTree(payload.files), 'app').then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (payload.outcome === 'refused') {
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) {
          expect(outcome.error).toBeInstanceOf(PlumblineError);
          expect((outcome.error as PlumblineError).file).toMatch(/^app\//);
        }
        return;
      }
      if (!outcome.ok) throw outcome.error;
      // Every mapping in the output is a data map: no field of it can be read through a
      // prototype, so `constructor` or `__proto__` is only ever what the repository wrote.
      for (const object of outcome.result.objects) {
        for (const map of mappings(object)) expect(isDataMap(map)).toBe(true);
      }
    });
  }

  it('keeps __proto__, constructor and prototype as own fields where kustomize keeps them', async () => {
    const payload = pollutionPayloads.find((p) => p.name.startsWith('manifest keys __proto__'));
    const { objects } = await renderApp(new MemoryFileTree(payload?.files ?? {}), 'app');
    const object = objects[0] as unknown as Record<string, Record<string, unknown>>;
    expect(Object.keys(object).sort()).toEqual(
      ['__proto__', 'apiVersion', 'constructor', 'data', 'kind', 'metadata'].sort(),
    );
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ polluted: true });
    expect(object.metadata?.namespace).toBeUndefined();
    expect(Object.keys(object.data ?? {})).toEqual(['prototype', '__proto__']);
  });
});

describe('helm values in plumbline.yaml named like JavaScript internals', () => {
  it('keeps __proto__ and constructor as values keys, as helm does, and pollutes nothing', () => {
    const before = snapshotPrototypes();
    const config = parseRepoConfig(
      'apps:\n- name: shop\n  path: deploy/shop\n  target: dev\n  namespace: store\n  helm:\n    name: web\n    valuesInline:\n      __proto__: {polluted: true}\n      constructor: {prototype: {polluted: true}}\n',
    );
    const app = config.apps[0];
    if (app?.kind !== 'kubernetes' || !app.helm?.valuesInline) throw new Error('no values parsed');
    expect(Object.keys(app.helm.valuesInline)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(app.helm.valuesInline)).toBe(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    expect(prototypeChanges(before)).toEqual([]);
  });
});
