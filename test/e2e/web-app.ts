/** The app both end-to-end suites deploy: its namespace, a ConfigMap and a Deployment. */

/** Manifests of `apps/web` for `namespace`, with the ConfigMap's color and the replica count. */
export function webAppManifests(
  namespace: string,
  color: string,
  replicas: number,
): Record<string, string> {
  return {
    'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
    'apps/web/app.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: settings',
      'data:',
      `  color: ${color}`,
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      `  replicas: ${replicas}`,
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      containers: [{name: web, image: "nginx:1.27"}]',
      '',
    ].join('\n'),
  };
}
