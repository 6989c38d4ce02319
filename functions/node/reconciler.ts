/**
 * The reconciler of the Node runtime: the flows (`runFlow`) with Node's cluster transport
 * (which can trust a target's private CA), kubeconfig contexts for local use, and SOPS keys
 * taken from the environment the way the sops CLI takes them.
 */
import { hostname } from 'node:os';
import type { TargetConfig } from '../../lib/config/repo-config.ts';
import { type ClusterAccess, createClusterAccess } from '../../lib/credentials/cluster-access.ts';
import type { AwsCredentials } from '../../lib/credentials/sigv4.ts';
import type { FlowDeps } from '../../lib/flows/flow-deps.ts';
import { runFlow } from '../../lib/flows/run-flow.ts';
import type { JobContext, RunJob } from '../../lib/jobs/job-context.ts';
import type { KmsOptions } from '../../lib/secrets/kms-key-source.ts';
import { createSopsDecryptor } from '../../lib/secrets/sops-decryptor.ts';
import { nodeKubeClient, nodeKubeFetch } from './kube-transport.ts';
import { loadKubeconfig } from './kubeconfig.ts';
import { createRenderSandbox, type RenderSandboxOptions } from './render-sandbox.ts';
import { sopsEnv } from './sops-env.ts';

/** How the Node reconciler reaches clusters and opens SOPS files. */
export interface NodeReconcilerOptions {
  /** Kubeconfig for targets with `kubeconfig` credentials (default: the usual lookup). */
  kubeconfig?: string;
  ageIdentities?: string[];
  kms?: KmsOptions;
  aws?: AwsCredentials;
  /** Wait for rollouts after applying. */
  health?: { timeoutMs: number };
  /** Wraps each cluster transport (the benchmark counts requests with it). */
  wrapTransport?: (fetcher: typeof fetch, target: TargetConfig) => typeof fetch;
  /**
   * Where apps are rendered: by default in the render sandbox (a worker thread per render that
   * holds no credential); `false` renders in this process.
   */
  sandbox?: RenderSandboxOptions | false;
}

/** Reads SOPS and AWS settings from the environment, as sops and the AWS SDK name them. */
export function reconcilerOptionsFromEnv(
  env: Record<string, string | undefined>,
): NodeReconcilerOptions {
  return { ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}), ...sopsEnv(env) };
}

/**
 * The flows' dependencies on Node for a job context: cluster access (tokens cached per
 * target, one pooled transport per server and CA), the SOPS decryptor and the lease holder.
 */
export function nodeFlowDeps(
  options: NodeReconcilerOptions = {},
): (context: JobContext) => FlowDeps {
  const holder = `node/${hostname()}/${process.pid}`;
  const decryptor = createSopsDecryptor({
    ...(options.kms ? { kms: options.kms } : {}),
    ageIdentities: options.ageIdentities ?? [],
  });
  // One transport per server and CA, so connections are pooled across jobs.
  const transports = new Map<string, typeof fetch>();
  const transport = (target: TargetConfig) => {
    const key = `${target.server}\n${target.ca ?? ''}`;
    let fetcher = transports.get(key);
    if (!fetcher) {
      fetcher = nodeKubeFetch({
        server: target.server,
        ...(target.ca ? { caPem: target.ca } : {}),
      });
      if (options.wrapTransport) fetcher = options.wrapTransport(fetcher, target);
      transports.set(key, fetcher);
    }
    return fetcher;
  };
  // Every render (pushes, sweeps and pull request heads alike) runs in the sandbox.
  const render = options.sandbox === false ? undefined : createRenderSandbox(options.sandbox);
  let clusters: ClusterAccess | undefined;
  return (context) => {
    clusters ??= createClusterAccess({
      secrets: context.secrets,
      transport,
      ...(options.aws ? { aws: async () => options.aws } : {}),
      kubeconfig: async (name) => {
        const access = await loadKubeconfig({
          ...(options.kubeconfig ? { path: options.kubeconfig } : {}),
          context: name,
        });
        return nodeKubeClient(access);
      },
    });
    return {
      ...context,
      clusters,
      holder,
      decryptorFor: () => decryptor,
      ...(render ? { render } : {}),
      ...(options.health ? { health: options.health } : {}),
    };
  };
}

/**
 * The `RunJob` of `plumbline serve`: reconcile jobs deploy (with GitHub deployments and
 * statuses), plan jobs plan pull requests (dry run), sweep jobs reconcile-or-report drift.
 * Transient failures are thrown, for the queue to retry.
 */
export function nodeReconciler(options: NodeReconcilerOptions = {}): RunJob {
  const depsFor = nodeFlowDeps(options);
  return async (job, context) => {
    await runFlow(job, depsFor(context));
  };
}
