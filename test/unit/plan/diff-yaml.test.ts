import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { normalizeObject } from '../../../lib/desired/normalize.ts';
import { diffYaml } from '../../../lib/plan/diff-yaml.ts';

const reference = (value: unknown) => stringify(value, { lineWidth: 0 });

/** Strings near every rule of plain scalars: indicators, reserved words, numbers, colons. */
const tricky = fc.constantFrom(
  '',
  ' ',
  'a',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'null',
  'Null',
  'NULL',
  '~',
  '-',
  '- a',
  '-a',
  'a-',
  'a: b',
  'a:',
  'a:b',
  'a::b',
  'http://example.com/x',
  'registry.example.com/app:1.0',
  'a #b',
  'a#b',
  '#a',
  '25%',
  '%a',
  '1',
  '1.0',
  '0x1F',
  '0o17',
  '1e3',
  '.inf',
  '.nan',
  '.5',
  '+1',
  '-1',
  '1_000',
  'a b',
  'a  b',
  ' a',
  'a ',
  'a\nb',
  'a\n',
  '\ta',
  'é',
  'a\u00a0b',
  '"a"',
  "'a'",
  'a"b',
  '@a',
  '`a',
  '!a',
  '&a',
  '*a',
  '|',
  '>',
  '?a',
  '? a',
  '[a]',
  '{a}',
  'a,b',
  'a=b',
  'a+b',
  'a/b',
  'a.b',
  'a_b',
  '__proto__',
  '_a',
  '/',
  '//',
  '/dev/termination-log',
  '/a:b',
  '/#',
  '_',
  'constructor',
  'x'.repeat(999),
  'x'.repeat(1000),
  'x'.repeat(1001),
  'x'.repeat(1100),
  '---',
  '--- a',
  '---a',
  '... a',
  '....',
  '% a',
  '%YAML',
  '...',
  '<<',
  '=',
);
const alphabet = fc.constantFrom(...'_aZ09._/@+=-: #\'"%!&*|>?[]{},\n\t\\é~`'.split(''));
const text = fc.oneof(
  tricky,
  fc.string({ unit: alphabet, maxLength: 12 }),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const key = fc.oneof(
  tricky,
  fc.string({ unit: alphabet, maxLength: 10 }),
  fc.string({ maxLength: 6 }),
);
const leaf = fc.oneof(
  text,
  text,
  fc.integer(),
  fc.constantFrom(0, -0, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2, -1, 2 ** 31),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map')),
  array: fc.array(tie('tree'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
}));
/** Only the package's usual shapes: what takes the direct path most of the time. */
const plainLeaf = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9.\-/]{0,12}$/),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const { plainTree } = fc.letrec((tie) => ({
  plainTree: fc.oneof({ depthSize: 'small' }, plainLeaf, tie('plainArray'), tie('plainMap')),
  plainArray: fc.array(tie('plainTree'), { maxLength: 4 }),
  plainMap: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9./-]{0,10}$/), tie('plainTree'), {
    maxKeys: 5,
  }),
}));

describe('diffYaml', () => {
  it("prints every value exactly as the yaml package's stringify with lineWidth 0", () => {
    fc.assert(
      fc.property(fc.oneof(tree, fc.dictionary(key, tree, { maxKeys: 6 })), (value) => {
        expect(diffYaml(value)).toBe(reference(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('prints the usual shapes exactly so, nested mappings and sequences in every position', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), plainTree, { minKeys: 1 }),
        (value) => {
          expect(diffYaml(value)).toBe(reference(value));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('prints every single tricky string as a value and as a key exactly so', () => {
    for (const s of fc.sample(tricky, 500)) {
      expect(diffYaml({ k: s })).toBe(reference({ k: s }));
      expect(diffYaml({ [s]: 'v' })).toBe(reference({ [s]: 'v' }));
      expect(diffYaml({ l: [s, [s], { [s]: s }] })).toBe(reference({ l: [s, [s], { [s]: s }] }));
    }
  });

  it('prints normalized Kubernetes objects exactly so, a __proto__ key included', () => {
    const configMap = JSON.parse(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"b","labels":{"app.kubernetes.io/name":"a"}},"data":{"__proto__":"x","k":"v","multi":"a\\nb\\n","empty":""}}',
    );
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'n', labels: { app: 'd' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'd' } },
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.example.com/d:1.0',
                args: ['--port=8080', '-v'],
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                resources: {},
              },
            ],
            tolerations: [],
          },
        },
      },
    };
    for (const object of [configMap, deployment]) {
      const normalized = normalizeObject(object);
      expect(diffYaml(normalized)).toBe(reference(normalized));
    }
    expect(diffYaml(normalizeObject(configMap))).toContain('__proto__: x');
  });
});
