/**
 * Finding 6 of issue 11, against the real kustomize: inputs kustomize refuses are refused
 * (a manifest, kustomization, patch or env file that is not UTF-8, once silently altered; an
 * object a patch or replacement leaves without a name or kind, once rendered with exit 0), and
 * `!!binary` scalars, once an object of numbers, come out byte for byte as kustomize's. Also
 * issue 12: JSON patch `test` compares deeply, key order aside, as kustomize's json-patch does.
 */
import { describe, expect, it } from 'vitest';
import type { RenderError } from '../../../lib/errors.ts';
import { type ConformanceCase, isRenderFailure, runCase } from '../../tools/render/harness.ts';

const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n';
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(
    parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)),
  );

/** A case and what must come of it: kustomize's output, or a refusal matching `refusal`. */
type Expectation = ConformanceCase & { refusal?: RegExp };

const cases: Expectation[] = [
  {
    name: 'a manifest with a Latin-1 byte in a value',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': bytes(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: caf',
        [0xe9],
        '\n',
      ),
    },
    refusal: /^app\/cm\.yaml:6: is not valid UTF-8 \(byte 0xe9 at offset 65\)$/,
  },
  {
    name: 'a manifest with an invalid byte in a comment',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': bytes('# ', [0xff, 0xfe], '\n', cm),
    },
    refusal: /^app\/cm\.yaml:1: is not valid UTF-8/,
  },
  {
    name: 'a manifest with a truncated UTF-8 sequence at its end',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': bytes(cm, '  b: x', [0xe2, 0x82]),
    },
    refusal: /^app\/cm\.yaml:7: is not valid UTF-8/,
  },
  {
    name: 'a kustomization with an invalid byte',
    files: {
      'app/kustomization.yaml': bytes(
        'resources: [cm.yaml]\ncommonLabels: {a: "caf',
        [0xe9],
        '"}\n',
      ),
      'app/cm.yaml': cm,
    },
    refusal: /^app\/kustomization\.yaml:2: is not valid UTF-8/,
  },
  {
    name: 'a patch file with an invalid byte',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- path: p.yaml\n',
      'app/cm.yaml': cm,
      'app/p.yaml': bytes(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: ',
        [0xc0, 0xaf],
        '\n',
      ),
    },
    refusal: /^app\/p\.yaml:6: is not valid UTF-8/,
  },
  {
    name: 'an env file with an invalid byte',
    files: {
      'app/kustomization.yaml': 'configMapGenerator:\n- name: x\n  envs: [e.env]\n',
      'app/e.env': bytes('a=ok\nb=caf', [0xe9], '\n'),
    },
    refusal: /^app\/e\.env:2: is not valid UTF-8/,
  },
  {
    name: 'a binary file through files: is data, not text',
    files: {
      'app/kustomization.yaml':
        'configMapGenerator:\n- name: x\n  files: [blob.bin]\nsecretGenerator:\n- name: s\n  files: [blob.bin]\n',
      'app/blob.bin': bytes([0xff, 0xfe, 0x00, 0xe9, 0xc0, 0xaf, 0xed, 0xa0, 0x80], 'tail'),
    },
  },
  {
    name: 'a UTF-8 byte order mark at the start of a manifest',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': bytes([0xef, 0xbb, 0xbf], cm),
    },
  },
  {
    name: 'JSON patch remove /metadata/name',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: remove\n      path: /metadata/name\n',
      'app/cm.yaml': cm,
    },
    refusal:
      /^app\/kustomization\.yaml: v1 ConfigMap c \(from app\/cm\.yaml\) has no metadata\.name after this kustomization's transformations$/,
  },
  {
    name: 'JSON patch replacing the name with an empty string, null, a map and a list',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: ""\n',
      'app/cm.yaml': cm,
    },
    refusal: /has no metadata\.name/,
  },
  ...['null', '{"a": 1}', '[1]'].map((value) => ({
    name: `JSON patch replacing the name with ${value}`,
    files: {
      'app/kustomization.yaml': `resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{"op": "replace", "path": "/metadata/name", "value": ${value}}]'\n`,
      'app/cm.yaml': cm,
    },
    refusal: /has no metadata\.name/,
  })),
  ...['5', '1.5', 'true', '"0"'].map((value) => ({
    name: `JSON patch replacing the name with the scalar ${value}, which kustomize keeps`,
    files: {
      'app/kustomization.yaml': `resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{"op": "replace", "path": "/metadata/name", "value": ${value}}]'\n`,
      'app/cm.yaml': cm,
    },
  })),
  {
    name: 'JSON patch remove /metadata and remove /kind',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml, cm2.yaml]\npatches:\n- target: {name: c}\n  patch: |-\n    - op: remove\n      path: /metadata\n- target: {name: d}\n  patch: |-\n    - op: remove\n      path: /kind\n',
      'app/cm.yaml': cm,
      'app/cm2.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n',
    },
    refusal: /has no (metadata\.name|kind)/,
  },
  {
    name: 'a replacement writing an empty name',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml]\nreplacements:\n- sourceValue: ""\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.name]\n',
      'app/cm.yaml': cm,
    },
    refusal: /has no metadata\.name/,
  },
  {
    name: 'a strategic merge patch deleting the name in a base',
    files: {
      'base/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: remove\n      path: /metadata/name\n',
      'base/cm.yaml': cm,
      'app/kustomization.yaml': 'resources: [../base]\n',
    },
    refusal: /^base\/kustomization\.yaml: .* has no metadata\.name/,
  },
  {
    name: '!!binary scalars in every style, valid UTF-8 or not',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: !!binary aGVsbG8=\n  b: !!binary |\n    /wABAgM=\n  c: !!binary "3q2+7w=="\n  d: !!binary |\n    aGVs\n    bG8=\n  e: !!binary "aGVs\\r\\nbG8="\n  f: !!binary ""\n  g: !!binary "aGVsbB=="\n  h: !!binary 4oKs7aCA8J+YgOKC\n  i: !!binary 77u/YQ==\n  k: !!binary wMGAgfj/\nbinaryData:\n  j: !!binary AAEC\n',
    },
  },
  ...['"aGVsbG8"', '"aGVs bG8="', '"!!!!"', '12', '"aGVsbG8=aGVs"', '"aGVs\\tbG8="'].map(
    (value) => ({
      name: `!!binary ${value} is invalid base64`,
      files: {
        'app/kustomization.yaml': 'resources: [cm.yaml]\n',
        'app/cm.yaml': `${cm}  x: !!binary ${value}\n`,
      },
      refusal: /^app\/cm\.yaml:7: !!binary value contains invalid base64 data$/,
    }),
  ),
  {
    name: 'a repeated key in a manifest',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': `${cm}  x: 1\n  "a": 2\n`,
    },
    refusal: /^app\/cm\.yaml:8: invalid YAML: mapping key "a" already defined at line 6$/,
  },
  {
    name: 'a repeated key in a kustomization (the last one wins)',
    files: {
      'app/kustomization.yaml': 'resources: [cm.yaml]\nnamespace: a\nnamespace: b\n',
      'app/cm.yaml': cm,
    },
  },
  {
    name: 'JSON patch test compares mappings deeply, whatever the key order',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: test\n      path: /spec\n      value: {list: [1, {z: 2, a: 1}], x: {b: 2, a: 1}}\n    - op: add\n      path: /metadata/annotations/tested\n      value: passed\n',
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nspec:\n  x: {a: 1, b: 2}\n  list: [1, {a: 1, z: 2}]\n',
    },
  },
  {
    name: 'JSON patch test fails on a different list order',
    files: {
      'app/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: test\n      path: /spec/list\n      value: [{a: 1, z: 2}, 1]\n',
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nspec:\n  list: [1, {a: 1, z: 2}]\n',
    },
    refusal: /test of '\/spec\/list' failed/,
  },
];

describe('inputs kustomize refuses, binary scalars and deep tests, as kustomize has them', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { kustomize, plumbline } = await runCase(c);
      if (c.refusal) {
        expect(kustomize.ok, 'kustomize refuses it too').toBe(false);
        expect(plumbline.ok).toBe(false);
        if (!plumbline.ok) {
          expect(isRenderFailure(plumbline.error), String(plumbline.error)).toBe(true);
          expect((plumbline.error as RenderError).message).toMatch(c.refusal);
          expect((plumbline.error as RenderError).hint ?? '').not.toBe('');
        }
        return;
      }
      if (!kustomize.ok) throw new Error(`kustomize refused: ${kustomize.error}`);
      if (!plumbline.ok) throw plumbline.error;
      expect(plumbline.text).toBe(kustomize.text);
    });
  }
});
