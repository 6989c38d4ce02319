import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../lib/core/object.ts';
import { RenderError } from '../../../lib/errors.ts';
import { schemaFor, strategicMerge } from '../../../lib/render/strategic-merge.ts';

const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a'] },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }], args: ['x', 'y'] },
          { name: 'side', image: 'busybox' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
        tolerations: [{ key: 'a' }],
      },
    },
  },
});

const apps = schemaFor('apps', 'Deployment');

function merge(patch: JsonObject, target = deployment()): JsonObject | undefined {
  return strategicMerge(target, patch, apps, 'patch.yaml');
}

/** The value at a path of nested maps. */
function at(value: unknown, ...keys: string[]): JsonObject {
  let node = value as JsonObject;
  for (const key of keys) node = node[key] as JsonObject;
  return node;
}

describe('strategicMerge', () => {
  it('merges containers by name, listing the patched ones first', () => {
    const out = merge({
      spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox:2' }] } } },
    });
    expect(at(out, 'spec', 'template', 'spec').containers).toEqual([
      { name: 'side', image: 'busybox:2' },
      { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }], args: ['x', 'y'] },
    ]);
  });

  it('merges env inside a container and replaces atomic lists such as args and tolerations', () => {
    const out = merge({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', env: [{ name: 'B', value: '2' }], args: ['z'] }],
            tolerations: [{ key: 'b' }],
          },
        },
      },
    });
    const spec = at(out, 'spec', 'template', 'spec');
    const web = (spec.containers as JsonObject[])[0];
    expect(web?.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
    expect(web?.args).toEqual(['z']);
    expect(spec.tolerations).toEqual([{ key: 'b' }]);
  });

  it('deletes with null and with $patch: delete, replaces with $patch: replace', () => {
    const out = merge({
      metadata: { labels: { tier: null } },
      spec: {
        replicas: null,
        template: {
          spec: {
            containers: [{ name: 'side', $patch: 'delete' }],
            volumes: [{ $patch: 'replace' }, { name: 'w', emptyDir: {} }],
          },
        },
      },
    });
    expect(at(out, 'metadata').labels).toEqual({ app: 'web' });
    expect(at(out, 'spec').replicas).toBeUndefined();
    const pod = at(out, 'spec', 'template', 'spec');
    expect((pod.containers as JsonObject[]).map((c) => c.name)).toEqual(['web']);
    expect(pod.volumes).toEqual([{ name: 'w', emptyDir: {} }]);
  });

  it('unions finalizers as a set of scalars', () => {
    const out = merge({ metadata: { finalizers: ['b', 'a'] } });
    expect(at(out, 'metadata').finalizers).toEqual(['b', 'a']);
  });

  it('deletes the whole object with a top-level $patch: delete', () => {
    expect(merge({ $patch: 'delete' })).toBeUndefined();
  });

  it('replaces lists of custom resources instead of merging them', () => {
    const target: JsonObject = { spec: { items: [{ name: 'a' }, { name: 'b' }] } };
    const out = strategicMerge(
      target,
      { spec: { items: [{ name: 'c' }] } },
      schemaFor('example.com', 'Widget'),
      'p',
    );
    expect(out?.spec).toEqual({ items: [{ name: 'c' }] });
  });

  it('merges Service ports by port', () => {
    const target: JsonObject = { spec: { ports: [{ port: 80, targetPort: 80 }, { port: 443 }] } };
    const out = strategicMerge(
      target,
      { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      schemaFor('', 'Service'),
      'p',
    );
    expect(out?.spec).toEqual({ ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] });
  });

  it('refuses an unknown $patch directive, naming the patch file', () => {
    const error = (() => {
      try {
        merge({ spec: { $patch: 'explode' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe("patch.yaml: unknown patch strategy 'explode'");
    expect((error as RenderError).file).toBe('patch.yaml');
  });
});
