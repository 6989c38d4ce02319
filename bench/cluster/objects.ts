/**
 * The objects of the cluster benchmarks: ConfigMaps, headless Services and Deployments (three
 * group-kinds), optionally with every tenth changed, written as a manifest directory both
 * kubectl (`-f DIR`) and Plumbline (a plain directory of manifests) read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../lib/core/object.ts';

/** `count` objects; with `change`, every tenth differs by it. */
export function benchObjects(count: number, change = ''): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const name = `obj-${i}`;
    const changed = change && i % 10 === 0 ? change : '';
    if (i % 5 < 3) {
      out.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { index: String(i), payload: `value-${i}${changed}` },
      });
    } else if (i % 5 === 3) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        // Headless: the test cluster's service range (/24) could not hold a ClusterIP each.
        spec: {
          clusterIP: 'None',
          selector: { app: name },
          ports: [{ port: 80, targetPort: changed ? 8081 : 8080 }],
        },
      });
    } else {
      out.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: `nginx:1.27${changed}` }] },
          },
        },
      });
    }
  }
  return out;
}

/** Writes `objects` into `dir/objects.yaml` with `namespace` set; returns `dir`. */
export function manifestDir(
  dir: string,
  namespace: string,
  objects: readonly KubeObject[],
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'objects.yaml'),
    objects.map((o) => stringify({ ...o, metadata: { ...o.metadata, namespace } })).join('---\n'),
  );
  return dir;
}
