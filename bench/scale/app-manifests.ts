/** The scale benchmark's apps: names and manifests (20 objects each, in 10 namespaces). */
import { stringify } from 'yaml';

/** The namespaces the apps are spread over. */
export const NAMESPACES = 10;

/** The name of app `i`. */
export function appName(i: number): string {
  return `app-${String(i).padStart(4, '0')}`;
}

/** The 20 objects of app `i`: a Deployment with its ServiceAccount, Service and RBAC, 15 ConfigMaps. */
export function appManifests(i: number, revision: number): string {
  const name = appName(i);
  const namespace = `scale-${i % NAMESPACES}`;
  const meta = (n: string) => ({ name: n, namespace, labels: { app: name } });
  const objects: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name) },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name),
      spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            serviceAccountName: name,
            containers: [{ name: 'app', image: `registry.example.com/${name}:1.${revision}` }],
          },
        },
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(name),
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ];
  for (let c = 0; c < 15; c++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${name}-cm-${c}`),
      data: { app: name, index: String(c), setting: `value-${c}` },
    });
  }
  return objects.map((o) => stringify(o)).join('---\n');
}
