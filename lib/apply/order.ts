/**
 * The order objects are applied in, as Helm and kapp do: what others depend on first
 * (namespaces, CRDs, then accounts, RBAC, config, services, workloads), custom resources last.
 * Pruning walks the same order backwards.
 */
import type { KubeObject } from '../core/object.ts';

const kindOrder = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

/** True for objects of the first stage: they must exist before the rest can be applied. */
export function isFirstStage(object: Pick<KubeObject, 'kind'>): boolean {
  return object.kind === 'Namespace' || object.kind === 'CustomResourceDefinition';
}

function rank(kind: string): number {
  const index = kindOrder.indexOf(kind);
  return index < 0 ? kindOrder.length : index;
}

/** Sorts objects into apply order (stable within a kind). */
export function applyOrder<T extends Pick<KubeObject, 'kind'>>(objects: readonly T[]): T[] {
  return objects
    .map((object, index) => ({ object, index }))
    .sort((a, b) => rank(a.object.kind) - rank(b.object.kind) || a.index - b.index)
    .map(({ object }) => object);
}
