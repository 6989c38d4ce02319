import { describe, expect, it } from 'vitest';
import { nameHash } from '../../../lib/render/hash.ts';
import { legacySort } from '../../../lib/render/order.ts';
import type { ResId } from '../../../lib/render/resource.ts';
import { goNumber, looksLikeOtherType, objectToYaml } from '../../../lib/render/yaml-output.ts';

describe('YAML output', () => {
  it('quotes strings as go-yaml does', () => {
    const text = objectToYaml({
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: {
        int: '1',
        bool: 'yes',
        empty: '',
        star: '*/5 * * * *',
        colon: 'a: b',
        tab: 'a\tb',
        lead: ' x',
        plain: "it's fine",
        multi: 'a\n b\n',
        keep: 'x\n\n',
        strip: 'x\ny',
        n: null,
      },
    });
    expect(text).toBe(
      [
        'apiVersion: v1',
        'kind: X',
        'metadata:',
        '  name: a',
        'spec:',
        '  bool: "yes"',
        "  colon: 'a: b'",
        '  empty: ""',
        '  int: "1"',
        '  keep: |+',
        '    x',
        '',
        "  lead: ' x'",
        '  multi: |',
        '    a',
        '     b',
        '  "n": null',
        "  plain: it's fine",
        "  star: '*/5 * * * *'",
        '  strip: |-',
        '    x',
        '    y',
        '  tab: "a\\tb"',
        '',
      ].join('\n'),
    );
  });

  it('folds long plain strings after column 80 like go-yaml', () => {
    const long = Array.from({ length: 30 }, () => 'word').join(' ');
    const text = objectToYaml({ apiVersion: 'v1', kind: 'X', metadata: { long } });
    const lines = text.split('\n');
    expect(lines[3]?.length).toBeGreaterThan(80);
    expect(lines[4]).toMatch(/^ {4}word/);
  });

  it('prints numbers as Go does', () => {
    expect(goNumber(1000000)).toBe('1000000');
    expect(goNumber(0.5)).toBe('0.5');
    expect(goNumber(-0.000001)).toBe('-1e-06');
    expect(goNumber(1e21)).toBe('1e+21');
  });

  it('knows which strings would read back as other types', () => {
    for (const s of ['true', 'on', 'NO', '~', '0x1F', '017', '1e3', '.inf', '2024-01-02', '1:30']) {
      expect(looksLikeOtherType(s), s).toBe(true);
    }
    for (const s of ['web', 'v1.2', '1.2.3', 'x1', '--flag'])
      expect(looksLikeOtherType(s), s).toBe(false);
  });
});

describe('legacy order', () => {
  const id = (kind: string, name: string, group = '', version = 'v1'): ResId => ({
    group,
    version,
    kind,
    name,
    namespace: '',
  });

  it('puts kinds in kustomize priority order, webhooks last, others by group/version/kind then name', () => {
    const ids = [
      id('ValidatingWebhookConfiguration', 'v', 'admissionregistration.k8s.io'),
      id('Deployment', 'b', 'apps'),
      id('Widget', 'w', 'example.com'),
      id('Deployment', 'a', 'apps'),
      id('Service', 's'),
      id('Namespace', 'ns'),
      id('Ingress', 'i', 'networking.k8s.io'),
      id('ConfigMap', 'c'),
    ];
    expect(legacySort(ids, (x) => x).map((x) => `${x.kind}/${x.name}`)).toEqual([
      'Namespace/ns',
      'ConfigMap/c',
      'Service/s',
      'Deployment/a',
      'Deployment/b',
      'Widget/w',
      'Ingress/i',
      'ValidatingWebhookConfiguration/v',
    ]);
  });
});

describe('name hash', () => {
  it('matches kustomize 5.8 for a ConfigMap and depends on data only', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } };
    expect(await nameHash(cm)).toBe('h29d89cmmt');
    expect(await nameHash({ ...cm, metadata: { name: 'other' } })).toBe('h29d89cmmt');
    expect(await nameHash({ ...cm, data: { a: '2' } })).not.toBe('h29d89cmmt');
  });
});

describe('go-yaml details of kustomize output', () => {
  it('orders keys as go-yaml does: digit runs as numbers, non-letters before letters', () => {
    const text = objectToYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: Object.fromEntries(
        ['a10', 'a9', 'a-b', 'aB', 'a_b', '1', '10', '2', 'Z', 'é', '-', 'a01', 'a1'].map((k) => [
          k,
          'x',
        ]),
      ),
    });
    expect(text.split('\n').slice(2, 15)).toEqual([
      "  '-': x",
      '  "1": x',
      '  "2": x',
      '  "10": x',
      '  Z: x',
      '  a-b: x',
      '  a_b: x',
      '  a1: x',
      '  a01: x',
      '  a9: x',
      '  a10: x',
      '  aB: x',
      '  é: x',
    ]);
  });

  it('escapes characters beyond U+FFFF, and every character after a leading BOM', () => {
    const text = objectToYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'q😀r', b: '\ufeffa b\u00e9', c: 'nb\u00a0sp\u0001' },
    });
    expect(text).toContain('  a: "q\\U0001F600r"\n');
    expect(text).toContain('  b: "\\uFEFF\\x61\\x20\\x62\\xE9"\n');
    expect(text).toContain('  c: "nb\u00a0sp\\x01"\n');
  });

  it('writes keys longer than 128 bytes or holding a line break as explicit keys', () => {
    const long = 'k'.repeat(129);
    const text = objectToYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { [long]: 'v', 'a\n b': 'w' },
    });
    expect(text).toContain(`  ? ${long}\n  : v\n`);
    expect(text).toContain('  ? |-\n    a\n     b\n  : w\n');
  });

  it('quotes only the timestamps go-yaml resolves, and prints numbers as kustomize does', () => {
    expect(looksLikeOtherType('2001-12-14')).toBe(true);
    expect(looksLikeOtherType('2001-12-14t21:59:43.10-05:00')).toBe(true);
    expect(looksLikeOtherType('2001-12-14 21:59:43.10 -5')).toBe(false);
    expect(looksLikeOtherType('2001-02-30')).toBe(false);
    expect(looksLikeOtherType('<<')).toBe(false);
    expect(goNumber(362054510333.0711)).toBe('3.620545103330711e+11');
    expect(goNumber(1234567.5)).toBe('1.2345675e+06');
    expect(goNumber(123456.5)).toBe('123456.5');
    expect(goNumber(6.907669994404997e18)).toBe('6907669994404997000');
    expect(goNumber(-1.1151596729583596e16)).toBe('-11151596729583596');
    expect(goNumber(2 ** 70)).toBe('1.1805916207174113e+21');
    expect(goNumber(-0)).toBe('0');
  });
});
