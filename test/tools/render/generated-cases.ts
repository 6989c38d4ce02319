/**
 * Generated conformance cases: random overlays, patches and generators over a few base apps,
 * from a seeded generator so every run builds the same cases.
 */
import { cronjob, deployment, pvc, rbac, service } from './cases.ts';
import type { ConformanceCase } from './harness.ts';

/** A small, seeded pseudo-random generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bases: Record<string, Record<string, string>> = {
  web: {
    'base/web/kustomization.yaml':
      'resources: [d.yaml, s.yaml, rbac.yaml, pvc.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\nsecretGenerator:\n- name: creds\n  literals: [p=1]\n',
    'base/web/d.yaml': deployment,
    'base/web/s.yaml': service,
    'base/web/rbac.yaml': rbac,
    'base/web/pvc.yaml': pvc,
  },
  cron: {
    'base/cron/kustomization.yaml':
      'resources: [c.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [schedule=fast]\n',
    'base/cron/c.yaml': cronjob,
  },
};

function pick<T>(rand: () => number, items: T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** `count` cases from `seed`. */
export function generatedCases(count: number, seed: number): ConformanceCase[] {
  const rand = seeded(seed);
  const out: ConformanceCase[] = [];
  for (let i = 0; i < count; i++) {
    const baseName = pick(rand, Object.keys(bases));
    const lines: string[] = [`resources: [../base/${baseName}]`];
    const files: Record<string, string> = { ...bases[baseName] };
    if (rand() < 0.5) lines.push(`namespace: ns-${i}`);
    if (rand() < 0.5) lines.push(`namePrefix: ${pick(rand, ['a-', 'team-', 'x'])}`);
    if (rand() < 0.4) lines.push(`nameSuffix: ${pick(rand, ['-b', '-v1'])}`);
    if (rand() < 0.5)
      lines.push(`commonLabels: {gen: "${i}", flavor: ${pick(rand, ['red', 'blue'])}}`);
    if (rand() < 0.4) lines.push(`commonAnnotations: {seed: "${seed}-${i}"}`);
    if (rand() < 0.5)
      lines.push(
        `images:\n- name: ${pick(rand, ['nginx', 'busybox'])}\n  newTag: "${Math.floor(rand() * 100)}"`,
      );
    if (baseName === 'web' && rand() < 0.5)
      lines.push(`replicas:\n- name: web\n  count: ${1 + Math.floor(rand() * 9)}`);
    if (rand() < 0.6) {
      lines.push(
        `configMapGenerator:\n- name: cfg\n  behavior: ${pick(rand, ['merge', 'replace'])}\n  literals: [k${i}=v${Math.floor(rand() * 1000)}]`,
      );
    }
    if (rand() < 0.5) lines.push(`secretGenerator:\n- name: extra-${i}\n  literals: [token=t${i}]`);
    const patches: string[] = [];
    if (baseName === 'web' && rand() < 0.5) {
      patches.push(
        `- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            env:\n            - name: GEN\n              value: "${i}"`,
      );
    }
    if (rand() < 0.5) {
      patches.push(
        `- target:\n    kind: ${baseName === 'web' ? 'Deployment' : 'CronJob'}\n  patch: |-\n    - op: add\n      path: /metadata/annotations/generated-${i}\n      value: "yes"`,
      );
    }
    if (rand() < 0.3) {
      patches.push(
        `- target:\n    kind: ConfigMap\n  patch: |-\n    kind: ConfigMap\n    metadata:\n      name: any\n      labels:\n        patched: "${i}"`,
      );
    }
    if (baseName === 'web' && rand() < 0.3) {
      patches.push(
        `- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: sidecar\n            $patch: delete`,
      );
    }
    if (patches.length > 0) lines.push(`patches:\n${patches.join('\n')}`);
    if (rand() < 0.3) {
      lines.push(
        `labels:\n- pairs: {lbl-${i}: x}\n  includeSelectors: ${rand() < 0.5}\n  includeTemplates: ${rand() < 0.5}`,
      );
    }
    if (rand() < 0.3) {
      files['components/stamp/kustomization.yaml'] =
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations: {stamped: "true"}\nconfigMapGenerator:\n- name: stamp\n  literals: [at=now]\n';
      lines.push('components: [../components/stamp]');
    }
    if (baseName === 'web' && rand() < 0.3) {
      lines.push(
        'replacements:\n- source: {kind: Service, name: web, fieldPath: spec.ports.0.port}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths:\n    - spec.template.spec.containers.[name=web].ports.0.containerPort',
      );
    }
    if (rand() < 0.2) lines.push('sortOptions:\n  order: fifo');
    files['app/kustomization.yaml'] = `${lines.join('\n')}\n`;
    out.push({ name: `generated #${i} (seed ${seed}) over ${baseName}`, files });
  }
  return out;
}
