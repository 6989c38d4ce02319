/**
 * Finding 4 of issue 11: patch and replacement targets were JavaScript regular expressions, so
 * `name: "(a+)+b"` backtracked for 11 s at 28 characters with the event loop blocked. Patterns
 * from repositories now run on RE2 (`re2js`), linear in the input, with Go's syntax: what RE2
 * refuses is refused, naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RenderError } from '../../../lib/errors.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const victim = 'a'.repeat(64);

function tree(kustomization: string): MemoryFileTree {
  return new MemoryFileTree({
    'app/kustomization.yaml': `resources: [cm.yaml]\n${kustomization}`,
    'app/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${victim}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${victim}b\n`,
  });
}

/** Records every pattern a `new RegExp(...)` is built from while a render runs. */
function recordRegExps(): { sources: string[]; restore: () => void } {
  const original = globalThis.RegExp;
  const sources: string[] = [];
  globalThis.RegExp = new Proxy(original, {
    construct(target, args) {
      sources.push(String(args[0]));
      return Reflect.construct(target, args);
    },
    apply(target, self, args) {
      sources.push(String(args[0]));
      return Reflect.apply(target, self, args);
    },
  });
  return {
    sources,
    restore: () => {
      globalThis.RegExp = original;
    },
  };
}

describe('regular expressions from repositories', () => {
  let restore = () => {};
  afterEach(() => restore());

  it('selects patch targets with a catastrophic pattern in linear time, never through RegExp', async () => {
    const recorder = recordRegExps();
    restore = recorder.restore;
    const { objects } = await renderApp(
      tree(
        'patches:\n- target: {name: "(a+)+b"}\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {hit: "yes"}\n',
      ),
      'app',
    );
    restore();
    expect(objects.map((o) => [o.metadata.name?.length, o.metadata.labels?.hit])).toEqual([
      [64, undefined],
      [65, 'yes'],
    ]);
    expect(recorder.sources.filter((s) => s.includes('(a+)+b'))).toEqual([]);
  });

  it('selects replacement targets and rejects with RE2 too', async () => {
    const recorder = recordRegExps();
    restore = recorder.restore;
    const { objects } = await renderApp(
      tree(
        'replacements:\n- sourceValue: "yes"\n  targets:\n  - select: {name: "(a|aa)+b?"}\n    reject: [{name: "(a|a)+b"}]\n    fieldPaths: [metadata.annotations.hit]\n    options: {create: true}\n',
      ),
      'app',
    );
    restore();
    expect(objects.map((o) => o.metadata.annotations?.hit)).toEqual(['yes', undefined]);
    expect(recorder.sources.filter((s) => s.includes('(a|a'))).toEqual([]);
  });

  it('matches Go syntax JavaScript does not know: named groups, POSIX classes, inline flags', async () => {
    const { objects } = await renderApp(
      tree(
        'patches:\n- target: {name: "(?P<x>a)[[:alpha:]]*(?i:B)"}\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {hit: "yes"}\n',
      ),
      'app',
    );
    expect(objects.map((o) => o.metadata.labels?.hit)).toEqual([undefined, 'yes']);
  });

  for (const [pattern, why] of [
    ['(a)\\1', 'invalid escape sequence'],
    ['a(?=b)', 'invalid or unsupported Perl syntax'],
    ['a{1001}', 'invalid repeat count'],
    ['(a', 'missing closing )'],
  ]) {
    it(`refuses the pattern ${pattern} as RE2 does (${why})`, async () => {
      const error = await renderApp(
        tree(
          `patches:\n- target: {kind: ConfigMap, name: '${pattern}'}\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {}\n`,
        ),
        'app',
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).message).toContain(
        `app/kustomization.yaml: patches[0].target.name '${pattern}' is not a valid regular expression: error parsing regexp: ${why}`,
      );
      expect((error as RenderError).hint).toMatch(/RE2/);
    });
  }

  it('treats an images name as a Go pattern, an invalid one matching nothing', async () => {
    const files = {
      'app/kustomization.yaml':
        'resources: [d.yaml]\nimages:\n- name: "(a+)+b"\n  newTag: "2"\n- name: "ngin(x"\n  newTag: "3"\n- name: "(?i)NGINX"\n  newTag: "4"\n',
      'app/d.yaml': `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - {name: a, image: "${'a'.repeat(40)}:1"}\n  - {name: b, image: "nginx:1"}\n`,
    };
    const { objects } = await renderApp(new MemoryFileTree(files), 'app');
    const spec = objects[0]?.spec as { containers: { image: string }[] } | undefined;
    const containers = spec?.containers ?? [];
    expect(containers.map((c) => c.image)).toEqual([`${'a'.repeat(40)}:1`, 'nginx:4']);
  });
});
