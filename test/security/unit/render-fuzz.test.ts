/**
 * Issue 11: a property-based fuzz test of rendering and of `plumbline.yaml` parsing, with keys
 * that name JavaScript internals everywhere a repository can write one. Whatever the input:
 * no built-in prototype changes, the only failures are `PlumblineError`s, and the cost stays
 * bounded by the input (the render's work budget, and an output no larger than a multiple of
 * what was read). The seed is printed; PLUMBLINE_FUZZ_SEED replays it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { PlumblineError } from '../../../lib/errors.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { prototypeChanges, snapshotPrototypes } from '../prototype-state.ts';

const seed = Number(process.env.PLUMBLINE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.PLUMBLINE_FUZZ_RUNS ?? 300);

/** Keys a hostile repository writes: JavaScript internals, merge keys, Kubernetes fields. */
const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'insecureSkipTlsVerify',
  '<<',
  '$patch',
  '$setElementOrder/containers',
  '$retainKeys',
  'metadata',
  'name',
  'labels',
  'spec',
  'data',
  'containers',
  '0',
  '-',
  '',
);

const key = fc.oneof({ weight: 3, arbitrary: hostileKey }, { weight: 1, arbitrary: fc.string() });

const scalar = fc.oneof(
  fc.string(),
  hostileKey,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('delete', 'replace', 'merge', 'true', '*a'),
);

/** JSON-like values whose mappings use hostile keys (own properties, `__proto__` included). */
const { value: data } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(key, tie('value')), { maxLength: 5 })
      .map((entries) => Object.fromEntries(entries)),
  ),
}));

/** A pointer or field path through hostile keys. */
/** Mostly absent: so that a case holds a few features, and most cases render. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

/** A pointer through hostile keys, or one into fields the generated objects have. */
const pointer = fc.oneof(
  fc
    .array(fc.oneof(hostileKey, fc.constantFrom('0', '-', 'a~1b', 'x')), {
      minLength: 1,
      maxLength: 4,
    })
    .map((parts) => `/${parts.join('/')}`),
  fc
    .tuple(
      fc.constantFrom('/metadata/labels', '/metadata/annotations', '/data', '/spec'),
      hostileKey,
    )
    .map(([parent, leaf]) => `${parent}/${leaf.replaceAll('~', '~0').replaceAll('/', '~1')}`),
);
const fieldPath = fc
  .array(fc.oneof(hostileKey, fc.constantFrom('*', '[name=web]', '[__proto__=x]', '0')), {
    minLength: 1,
    maxLength: 4,
  })
  .map((parts) => parts.join('.'));

const jsonPatch = fc.array(
  fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'frobnicate'),
      path: pointer,
      from: pointer,
      value: data,
    },
    { requiredKeys: ['op', 'path'] },
  ),
  { maxLength: 6 },
);

const manifest = fc
  .record({
    kind: fc.constantFrom('ConfigMap', 'Deployment', 'constructor', 'Secret'),
    name: fc.oneof(hostileKey, fc.constantFrom('web', 'cfg')),
    metadata: data,
    spec: data,
    data,
    extra: fc.array(fc.tuple(key, data), { maxLength: 3 }),
  })
  .map(({ kind, name, metadata, spec, data: body, extra }) => ({
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    ...Object.fromEntries(extra),
    metadata: { ...(typeof metadata === 'object' && metadata !== null ? metadata : {}), name },
    spec,
    data: body,
  }));

const kustomization = fc.record({
  resources: fc.constant(['m.yaml']),
  namespace: sometimes(fc.oneof(hostileKey, fc.constant('ns'))),
  namePrefix: sometimes(hostileKey),
  commonLabels: sometimes(fc.dictionary(key, fc.string(), { maxKeys: 3 })),
  commonAnnotations: sometimes(fc.dictionary(key, fc.string(), { maxKeys: 3 })),
  labels: sometimes(
    fc.array(
      fc.record({
        pairs: fc.dictionary(key, fc.string(), { maxKeys: 2 }),
        fields: fc.array(
          fc.record({
            path: fc.array(hostileKey, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')),
            create: fc.boolean(),
          }),
          { maxLength: 2 },
        ),
      }),
      { maxLength: 2 },
    ),
  ),
  images: sometimes(
    fc.array(fc.record({ name: fc.oneof(hostileKey, fc.string()), newTag: fc.string() }), {
      maxLength: 2,
    }),
  ),
  configMapGenerator: sometimes(
    fc.array(
      fc.record({
        name: hostileKey,
        literals: fc.array(
          fc.tuple(key, fc.string()).map(([k, v]) => `${k}=${v}`),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 2 },
    ),
  ),
  patches: sometimes(
    fc.array(
      fc.oneof(
        fc.record({
          target: fc.record(
            {
              kind: fc.constantFrom('ConfigMap', '.*', '(a+)+b'),
              name: fc.oneof(hostileKey, fc.constant('.*')),
            },
            { requiredKeys: [] },
          ),
          patch: jsonPatch.map((ops) => JSON.stringify(ops)),
        }),
        fc.record({ patch: manifest.map((m) => stringify(m)) }),
      ),
      { maxLength: 3 },
    ),
  ),
  replacements: sometimes(
    fc.array(
      fc.record({
        sourceValue: fc.oneof(fc.string(), hostileKey),
        targets: fc.array(
          fc.record({
            select: fc.record({ kind: fc.constantFrom('ConfigMap', 'Deployment') }),
            fieldPaths: fc.array(fieldPath, { minLength: 1, maxLength: 2 }),
            options: fc.record({ create: fc.boolean() }),
          }),
          { minLength: 1, maxLength: 2 },
        ),
      }),
      { maxLength: 2 },
    ),
  ),
  extra: sometimes(fc.array(fc.tuple(hostileKey, data), { maxLength: 2 })),
});

/** A repository: a kustomization over manifests, as YAML (sometimes with bytes flipped). */
const repository = fc
  .record({
    kustomization,
    manifests: fc.array(manifest, { minLength: 1, maxLength: 3 }),
    mutation: sometimes(fc.tuple(fc.nat(), fc.string({ maxLength: 3 }))),
  })
  .map(({ kustomization: k, manifests, mutation }) => {
    const { extra, ...fields } = k;
    const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    let text = stringify({ ...Object.fromEntries(extra ?? []), ...present });
    if (mutation) {
      const [at, insert] = mutation;
      const i = at % (text.length + 1);
      text = `${text.slice(0, i)}${insert}${text.slice(i)}`;
    }
    return {
      'app/kustomization.yaml': text,
      'app/m.yaml': manifests.map((m) => stringify(m)).join('---\n'),
    };
  });

const limits = { maxObjects: 200, workFloor: 200_000, maxFileBytes: 256 * 1024 };

describe('fuzzing with keys that name JavaScript internals', () => {
  it(`renders or refuses, never pollutes, never crashes, stays bounded (seed ${seed})`, async () => {
    console.log(`render fuzz: seed ${seed} (replay with PLUMBLINE_FUZZ_SEED=${seed})`);
    const before = snapshotPrototypes();
    let rendered = 0;
    await fc.assert(
      fc.asyncProperty(repository, async (files) => {
        const input = Object.values(files).reduce((n, text) => n + text.length, 0);
        try {
          const result = await renderApp(new MemoryFileTree(files), 'app', { limits });
          // Bounded by the input: no amplification past a fixed multiple of what was read.
          expect(JSON.stringify(result.objects).length).toBeLessThanOrEqual(64 * input + 200_000);
          rendered++;
        } catch (error) {
          if (!(error instanceof PlumblineError)) throw error;
          expect(error.file ?? error.message).not.toBe('');
        }
        expect(prototypeChanges(before)).toEqual([]);
        expect(({} as Record<string, unknown>).insecureSkipTlsVerify).toBeUndefined();
      }),
      { seed, numRuns: runs },
    );
    // Not every case is a refusal: the property also covers what renders.
    console.log(`render fuzz: ${rendered} of ${runs} rendered`);
    expect(rendered).toBeGreaterThan(runs / 10);
  }, 600_000);

  it(`parses plumbline.yaml or refuses it, never pollutes, never crashes (seed ${seed})`, () => {
    const before = snapshotPrototypes();
    const config = fc
      .record({
        targets: fc.array(
          fc.record({
            name: fc.oneof(hostileKey, fc.constant('dev')),
            server: fc.string(),
            extra: data,
          }),
          { maxLength: 2 },
        ),
        apps: fc.array(
          fc.record({
            name: fc.oneof(hostileKey, fc.constant('web')),
            path: fc.string(),
            target: hostileKey,
            extra: data,
          }),
          { maxLength: 2 },
        ),
        top: fc.array(fc.tuple(hostileKey, data), { maxLength: 3 }),
      })
      .map(({ targets, apps, top }) =>
        stringify({
          ...Object.fromEntries(top),
          targets: targets.map(({ extra, ...t }) => ({
            ...(typeof extra === 'object' ? extra : {}),
            ...t,
          })),
          apps: apps.map(({ extra, ...a }) => ({
            ...(typeof extra === 'object' ? extra : {}),
            ...a,
          })),
        }),
      );
    fc.assert(
      fc.property(fc.oneof(config, fc.string()), (text) => {
        try {
          parseRepoConfig(text);
        } catch (error) {
          if (!(error instanceof PlumblineError)) throw error;
        }
        expect(prototypeChanges(before)).toEqual([]);
      }),
      { seed, numRuns: runs },
    );
  });
});
