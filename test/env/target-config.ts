/** `plumbline.yaml` lines for a target pointing at the test cluster, as tests commit them. */
import type { TestCluster } from './control-plane.ts';

/**
 * The `targets:` block of a `plumbline.yaml` with one target `name` at `cluster` (its CA
 * inline) whose bearer token the runtime holds as secret `secret`.
 */
export function testTargetYaml(cluster: TestCluster, name: string, secret: string): string[] {
  return [
    'targets:',
    `  - name: ${name}`,
    `    server: ${cluster.server}`,
    '    ca: |',
    ...cluster.caPem
      .trim()
      .split('\n')
      .map((line) => `      ${line}`),
    '    credentials:',
    '      token:',
    `        secret: ${secret}`,
  ];
}
