/**
 * Finding 5 of issue 11 (and the amplifications next to it): a 40,000-key mapping took 16.7 s
 * to parse (the yaml library compares every key with every other), aliases and patches could
 * grow a document without bound. Parsing is now linear, duplicate keys are still refused with
 * go-yaml's message, and everything that copies values spends from a budget relative to the
 * bytes read.
 */
import { describe, expect, it } from 'vitest';
import { RenderError } from '../../../lib/errors.ts';
import { defaultLimits, renderApp } from '../../../lib/render/index.ts';
import { parseYamlDocuments } from '../../../lib/render/yaml-documents.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

function keys(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`  k${i}: v${i}`);
  return lines.join('\n');
}

async function refusal(files: Record<string, string>, limits = {}): Promise<RenderError> {
  const error = await renderApp(new MemoryFileTree(files), 'app', { limits }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('YAML parsing cost', () => {
  it('parses a mapping of 60,000 keys (quadratic before: 16.7 s for 40,000)', () => {
    const [doc] = parseYamlDocuments(`data:\n${keys(60_000)}\n`, 'big.yaml', defaultLimits);
    const data = (doc as { data: Record<string, string> }).data;
    expect(Object.keys(data)).toHaveLength(60_000);
    expect(data.k59999).toBe('v59999');
  });

  it('refuses a repeated key in a manifest, naming both lines as go-yaml does', () => {
    const text = `data:\n${keys(20_000)}\n  k7: again\n`;
    expect(() => parseYamlDocuments(text, 'app/cm.yaml', defaultLimits)).toThrow(
      'app/cm.yaml:20002: invalid YAML: mapping key "k7" already defined at line 9',
    );
  });

  it('keeps the last of repeated keys in a kustomization, as sigs.k8s.io/yaml does', () => {
    const [doc] = parseYamlDocuments(
      'namespace: a\nnamespace: b\n',
      'k.yaml',
      defaultLimits,
      '1.1',
    );
    expect(doc).toEqual({ namespace: 'b' });
  });

  it('expands aliases into copies, so a transformer never changes two places at once', async () => {
    const { objects } = await renderApp(
      new MemoryFileTree({
        'app/kustomization.yaml': 'resources: [cm.yaml]\ncommonLabels: {team: a}\n',
        'app/cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: &l {x: "1"}\n  annotations: *l\n',
      }),
      'app',
    );
    expect(objects[0]?.metadata.labels).toEqual({ x: '1', team: 'a' });
    expect(objects[0]?.metadata.annotations).toEqual({ x: '1' });
  });

  it('refuses a billion laughs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parseYamlDocuments(lines.join('\n'), 'laughs.yaml', defaultLimits)).toThrow(
      /laughs\.yaml:\d+: YAML aliases expand/,
    );
  });

  it('refuses aliases that copy a large anchor many times over', () => {
    const anchor = `big: &big {${Array.from({ length: 5_000 }, (_, i) => `k${i}: ${i}`).join(', ')}}`;
    const uses = Array.from({ length: 90 }, (_, i) => `u${i}: *big`).join('\n');
    expect(() => parseYamlDocuments(`${anchor}\n${uses}\n`, 'wide.yaml', defaultLimits)).toThrow(
      /^wide\.yaml:16: YAML aliases expand to more than the document holds/,
    );
  });

  it('refuses nesting deeper than any manifest has, before any recursive step can overflow', () => {
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    expect(() => parseYamlDocuments(`a: ${deep}\n`, 'deep.yaml', defaultLimits)).toThrow(
      /deep\.yaml:1: (YAML nests deeper than 512 levels|YAML nests too deeply)/,
    );
  });
});

describe('work budget', () => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "0123456789"\n';

  it('refuses a chain of JSON patch copies that doubles the object at every step', async () => {
    const ops = Array.from(
      { length: 40 },
      (_, i) => `- op: copy\n  from: /data\n  path: /data/d${i}`,
    ).join('\n');
    const error = await refusal({
      'app/kustomization.yaml':
        'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  path: ops.yaml\n',
      'app/cm.yaml': cm,
      'app/ops.yaml': ops,
    });
    expect(error.message).toMatch(/^app\/ops\.yaml: the render does more than 32 times the work/);
    expect(error.hint).toMatch(/copies or replacements/);
  });

  it('refuses replacements that feed each other', async () => {
    const steps = Array.from(
      { length: 40 },
      (_, i) =>
        `- source: {kind: ConfigMap, name: c, fieldPath: data}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.r${i}]\n    options: {create: true}`,
    ).join('\n');
    const error = await refusal({
      'app/kustomization.yaml': `resources: [cm.yaml]\nreplacements:\n${steps}\n`,
      'app/cm.yaml': cm,
    });
    expect(error.message).toMatch(/^app\/kustomization\.yaml: the render does more than/);
  });

  it('refuses a base reached through exponentially many paths', async () => {
    const files: Record<string, string> = { 'leaf/kustomization.yaml': 'resources: []\n' };
    for (let level = 0; level < 30; level++) {
      const next =
        level === 0 ? ['../../leaf'] : [`../../l${level - 1}/a`, `../../l${level - 1}/b`];
      for (const side of ['a', 'b']) {
        files[`l${level}/${side}/kustomization.yaml`] =
          `resources: [${next.join(', ')}]\n${'# padding\n'.repeat(20)}`;
      }
    }
    files['app/kustomization.yaml'] = 'resources: [../l29/a]\n';
    const error = await refusal(files, { maxDepth: 64, workFloor: 200_000 });
    expect(error.message).toMatch(/the render does more than 32 times the work/);
  });

  it('lets a large ordinary render through', async () => {
    const many = Array.from(
      { length: 2_000 },
      (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata: {a: "${i}"}\n`,
    ).join('---\n');
    const { objects } = await renderApp(
      new MemoryFileTree({
        'app/kustomization.yaml':
          'resources: [cm.yaml]\ncommonLabels: {a: b}\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    kind: ConfigMap\n    metadata: {name: any, annotations: {x: y}}\n    data: {b: c}\n',
        'app/cm.yaml': many,
      }),
      'app',
    );
    expect(objects).toHaveLength(2_000);
  });
});
