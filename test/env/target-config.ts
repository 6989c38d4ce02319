/**
 * The test cluster as a target binding of the runtime settings, as tests and the GitHub
 * benchmark bind it: the operator's decision, never a repository's. Repositories only name
 * the binding in `plumbline.yaml` (`apps[].target`).
 */
import type { KubernetesTarget } from '../../lib/config/target-binding.ts';
import type { TestCluster } from './control-plane.ts';

/** Who may use the binding (default: every repository, every namespace, cluster objects too). */
export interface TestTargetScope {
  repositories?: string[];
  namespaces?: string[];
  clusterResources?: boolean;
}

/**
 * A binding named `name` of `cluster` (its CA inline) whose bearer token the runtime holds as
 * secret `secret`.
 */
export function testTargetBinding(
  cluster: TestCluster,
  name: string,
  secret: string,
  scope: TestTargetScope = {},
): KubernetesTarget {
  return {
    kind: 'kubernetes',
    name,
    server: cluster.server,
    ca: cluster.caPem,
    credentials: { kind: 'token', secret },
    repositories: scope.repositories ?? ['*'],
    namespaces: scope.namespaces ?? ['*'],
    clusterResources: scope.clusterResources ?? true,
    allowLinkLocal: false,
  };
}

/**
 * The same binding as the settings file or `PLUMBLINE_TARGETS` writes it (JSON), for tests
 * that start Plumbline from its settings sources.
 */
export function testTargetSetting(
  cluster: TestCluster,
  name: string,
  secret: string,
  scope: TestTargetScope = {},
): Record<string, unknown> {
  return {
    kind: 'kubernetes',
    name,
    server: cluster.server,
    ca: cluster.caPem,
    credentials: { token: { secret } },
    repositories: scope.repositories ?? ['*'],
    namespaces: scope.namespaces ?? ['*'],
    clusterResources: scope.clusterResources ?? true,
  };
}
