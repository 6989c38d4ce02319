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

/**
 * Sorts objects into apply order, stable within a kind. Kinds the table does not know (custom
 * resources) come last, each kind where it first appears in the input (the order Git gives).
 */
export function applyOrder<T extends Pick<KubeObject, 'kind'>>(objects: readonly T[]): T[] {
  return applyRanks(objects).flat();
}

/**
 * The objects in ranks: one kind per rank, ranks in apply order. Objects of one rank are
 * applied concurrently; a rank starts once the one before it has finished. Concurrency within
 * a rank is safe because the API server admits each object on its own: what an object may
 * depend on at admission (its namespace, CRD, ServiceAccount, LimitRange, quota, a webhook's
 * Service) is of another kind, so it sits in an earlier rank.
 */
export function applyRanks<T extends Pick<KubeObject, 'kind'>>(objects: readonly T[]): T[][] {
  const unknown = new Map<string, number>();
  const byRank = new Map<number, T[]>();
  for (const object of objects) {
    let r = rank(object.kind);
    if (r === kindOrder.length) {
      if (!unknown.has(object.kind)) unknown.set(object.kind, unknown.size);
      r += unknown.get(object.kind) as number;
    }
    byRank.set(r, [...(byRank.get(r) ?? []), object]);
  }
  return [...byRank.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}
