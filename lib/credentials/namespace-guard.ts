/**
 * The binding's namespaces, enforced on every object a client touches: a namespaced object
 * must live in a namespace the binding allows, a Namespace must be one of them, and other
 * cluster-scoped objects need `clusterResources: true`. Whether a kind is namespaced comes
 * from discovery (a cluster-scoped kind ignores `metadata.namespace`, so the field proves
 * nothing). A refusal is answered as the API server answers an RBAC denial (403 Forbidden),
 * so the plan, apply and prune paths treat it exactly like one: the object fails, nothing
 * is pruned after it, and the app's report names the setting. Lists are reads of labelled
 * members and are left alone; what they find can only be deleted through this fence.
 */
import type { KubernetesTarget } from '../config/target-binding.ts';
import { bindingAllowsNamespace } from '../config/target-binding.ts';
import {
  describeRef,
  type KubeObject,
  type ObjectRef,
  refOf,
  splitApiVersion,
} from '../core/object.ts';
import { ConfigError, KubeError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';

/** Why `target` does not let a client touch `ref` (namespaced or not), or `undefined`. */
export function destinationProblem(
  target: KubernetesTarget,
  ref: ObjectRef,
  namespaced: boolean,
): string | undefined {
  const setting = `runtime setting targets[${target.name}]`;
  if (namespaced) {
    return bindingAllowsNamespace(target, ref.namespace)
      ? undefined
      : `namespace '${ref.namespace}' is not allowed on target '${target.name}' (${setting}.namespaces)`;
  }
  if (ref.group === '' && ref.kind === 'Namespace') {
    return bindingAllowsNamespace(target, ref.name) || target.clusterResources
      ? undefined
      : `namespace '${ref.name}' is not allowed on target '${target.name}' (${setting}.namespaces)`;
  }
  return target.clusterResources
    ? undefined
    : `cluster-scoped objects are not allowed on target '${target.name}' (${setting}.clusterResources)`;
}

/** At most this many refused objects are named in one refusal. */
const MAX_NAMED = 10;

/**
 * Checks every rendered object of app `app` against `target` before anything is written, so
 * an app that reaches outside its binding is refused whole, changing nothing (the fenced
 * client would refuse each object too, but only as the apply reaches it). An object without
 * a namespace is placed in `namespace` when its kind is namespaced, as the apply places it;
 * a kind the cluster does not serve yet is judged by its CRD in the same set, else left to
 * the fence.
 */
export async function assertDestinations(
  target: KubernetesTarget,
  app: string,
  objects: readonly KubeObject[],
  namespace: string,
  client: KubeClient,
): Promise<void> {
  if (target.namespaces.includes('*') && target.clusterResources) return;
  const problems: string[] = [];
  for (const object of objects) {
    const { group, version } = splitApiVersion(object.apiVersion);
    let namespaced: boolean | undefined;
    try {
      namespaced = (await client.discover(group, object.kind, version)).namespaced;
    } catch (error) {
      // Only a kind the cluster does not serve (yet) is judged otherwise; anything else fails.
      if (!(error instanceof KubeError && (error.reason === 'NoKindMatch' || error.status === 404)))
        throw error;
      const crd = objects.find(
        (o) =>
          o.kind === 'CustomResourceDefinition' &&
          (o as { spec?: { group?: string; names?: { kind?: string } } }).spec?.group === group &&
          (o as { spec?: { names?: { kind?: string } } }).spec?.names?.kind === object.kind,
      ) as { spec?: { scope?: string } } | undefined;
      namespaced = crd ? crd.spec?.scope !== 'Cluster' : undefined;
    }
    if (namespaced === undefined) continue;
    const ref = refOf({
      ...object,
      metadata: {
        ...object.metadata,
        ...(namespaced ? { namespace: object.metadata.namespace ?? namespace } : {}),
      },
    });
    const problem = destinationProblem(target, ref, namespaced);
    if (problem) problems.push(`${describeRef(ref)}: ${problem}`);
  }
  if (problems.length === 0) return;
  const named = problems.slice(0, MAX_NAMED);
  const more = problems.length - named.length;
  throw new ConfigError(
    `app ${app}: ${problems.length} object(s) outside what target '${target.name}' allows; nothing was applied: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    {
      hint: "Keep the app's objects in the namespaces its target allows, or ask the operator to widen the binding.",
    },
  );
}

/** `client`, refusing (403) every object outside `target`'s namespaces. */
export function guardNamespaces(client: KubeClient, target: KubernetesTarget): KubeClient {
  if (target.namespaces.includes('*') && target.clusterResources) return client;
  const check = async (ref: ObjectRef, version?: string) => {
    const info = await client.discover(ref.group, ref.kind, version);
    const problem = destinationProblem(target, ref, info.namespaced);
    if (problem) {
      throw new KubeError(`${describeRef(ref)}: forbidden: ${problem}`, 403, 'Forbidden', {
        object: describeRef(ref),
        hint: "Keep the app's objects in the namespaces its target allows, or ask the operator to widen the binding.",
      });
    }
  };
  const versionOf = (apiVersion: string) => splitApiVersion(apiVersion).version;
  return {
    discover: (group, kind, version) => client.discover(group, kind, version),
    discoverAll: () => client.discoverAll(),
    invalidateDiscovery: () => client.invalidateDiscovery(),
    async get(ref, version) {
      await check(ref, version);
      return client.get(ref, version);
    },
    list: (gk, options) => client.list(gk, options),
    async create(object, options) {
      await check(refOf(object), versionOf(object.apiVersion));
      return client.create(object, options);
    },
    async apply(object, options) {
      await check(refOf(object), versionOf(object.apiVersion));
      return client.apply(object, options);
    },
    async replace(object, options) {
      await check(refOf(object), versionOf(object.apiVersion));
      return client.replace(object, options);
    },
    async delete(ref, options) {
      await check(ref);
      return client.delete(ref, options);
    },
    createToken: (namespace, serviceAccount, options) =>
      client.createToken(namespace, serviceAccount, options),
  };
}
