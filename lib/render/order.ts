/**
 * Output order. By default kustomize sorts with its legacy order (kinds in a fixed priority
 * list first, webhooks last, the rest by group/version/kind, then namespace and name);
 * `sortOptions: {order: fifo}` keeps the accumulated order.
 */
import { compareGoStrings } from './go-string-order.ts';
import type { ResId } from './resource.ts';

/** `sortOptions.legacySortOptions`. */
export interface LegacySortOptions {
  orderFirst: string[];
  orderLast: string[];
}

/** The kinds kustomize puts first, in order. */
export const defaultOrderFirst = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];

/** The kinds kustomize puts last, in order. */
export const defaultOrderLast = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function gvkSortString(id: ResId): string {
  return [id.group || '~G', id.version || '~V', id.kind || '~K'].join('_');
}

function idSortString(id: ResId): string {
  const gvk = [id.kind || '[noKind]', id.version || '[noVer]', id.group || '[noGrp]'].join('.');
  return [gvk, id.namespace || '~X', id.name || '~N'].join('|');
}

/** Go's `<` on strings compares bytes (code points), not UTF-16 units. */
function less(a: string, b: string): number {
  return compareGoStrings(a, b);
}

/** Sorts items (stably) in kustomize's legacy order. */
export function legacySort<T>(
  items: T[],
  idOf: (item: T) => ResId,
  options: LegacySortOptions = { orderFirst: defaultOrderFirst, orderLast: defaultOrderLast },
): T[] {
  const rank = new Map<string, number>();
  options.orderFirst.forEach((kind, i) => {
    rank.set(kind, -options.orderFirst.length + i);
  });
  options.orderLast.forEach((kind, i) => {
    rank.set(kind, 1 + i);
  });
  const keyed = items.map((item) => {
    const id = idOf(item);
    return {
      item,
      id,
      rank: rank.get(id.kind) ?? 0,
      gvk: gvkSortString(id),
      key: idSortString(id),
    };
  });
  keyed.sort((a, b) => {
    const sameGvk =
      a.id.group === b.id.group && a.id.version === b.id.version && a.id.kind === b.id.kind;
    if (!sameGvk) {
      if (a.rank !== b.rank) return a.rank - b.rank;
      if (
        a.id.kind === 'Namespace' &&
        b.id.kind === 'Namespace' &&
        (a.id.group === '' || b.id.group === '')
      ) {
        return less(b.gvk, a.gvk);
      }
      return less(a.gvk, b.gvk);
    }
    return less(a.key, b.key);
  });
  return keyed.map((k) => k.item);
}
