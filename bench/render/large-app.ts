/**
 * A large app for the render memory benchmark: `megabytes` of manifests (Deployments, Services
 * and ConfigMaps with a few KB of data each) in files under the 4 MB file limit, and a
 * kustomization that transforms every object (namespace, labels, images, a strategic merge
 * patch on every Deployment). Deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What was generated: the app directory and its size. */
export interface LargeApp {
  app: string;
  bytes: number;
  objects: number;
}

function service(i: number): string {
  const settings = Array.from(
    { length: 60 },
    (_, k) => `    setting.${k} = value ${k} for service ${i}, ${'x'.repeat(40)}`,
  ).join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc${i}
  labels: {app: svc${i}, tier: backend}
  annotations: {owner: team-${i % 17}, description: "service number ${i}"}
spec:
  replicas: 2
  selector:
    matchLabels: {app: svc${i}}
  template:
    metadata:
      labels: {app: svc${i}}
    spec:
      containers:
      - name: app
        image: registry.example.com/svc${i}:1.0.${i % 100}
        ports:
        - containerPort: 8080
        envFrom:
        - configMapRef: {name: svc${i}-config}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
      - name: proxy
        image: envoyproxy/envoy:v1.30.0
        args: ["--config-path", "/etc/envoy/envoy.yaml"]
---
apiVersion: v1
kind: Service
metadata:
  name: svc${i}
spec:
  selector: {app: svc${i}}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: svc${i}-config
data:
  LOG_LEVEL: info
  settings.conf: |
${settings}
`;
}

/** Writes the app under `root/app`. */
export function generateLargeApp(root: string, megabytes: number): LargeApp {
  const app = join(root, 'app');
  mkdirSync(app, { recursive: true });
  const target = megabytes * 1024 * 1024;
  const names: string[] = [];
  let bytes = 0;
  let i = 0;
  while (bytes < target) {
    const docs: string[] = [];
    let size = 0;
    while (size < 3.5 * 1024 * 1024 && bytes + size < target) {
      const doc = service(i++);
      docs.push(doc);
      size += doc.length + 4;
    }
    const name = `m${names.length}.yaml`;
    writeFileSync(join(app, name), docs.join('---\n'));
    names.push(name);
    bytes += size;
  }
  writeFileSync(
    join(app, 'kustomization.yaml'),
    `resources:\n${names.map((n) => `- ${n}`).join('\n')}\nnamespace: prod\ncommonLabels: {env: prod}\nimages:\n- name: envoyproxy/envoy\n  newTag: v1.31.0\npatches:\n- target: {kind: Deployment}\n  patch: |-\n    kind: Deployment\n    metadata: {name: any}\n    spec:\n      template:\n        spec:\n          containers:\n          - name: app\n            env:\n            - {name: REGION, value: eu}\n`,
  );
  return { app, bytes, objects: i * 3 };
}
