/**
 * The reconciler of the Node runtime: the flows (`runFlow`) with Node's cluster transport
 * (which can trust a binding's private CA and present its client certificate), kubeconfig
 * contexts for an operator running Plumbline on their own machine, and SOPS decryption with
 * each repository's own keys (`lib/credentials/repo-decryptors.ts`).
 */
import type { KubernetesTarget } from '../../lib/config/target-binding.ts';
import type { FileDecryptor } from '../../lib/core/decryptor.ts';
import {
  type ClientTls,
  type ClusterAccess,
  createClusterAccess,
} from '../../lib/credentials/cluster-access.ts';
import { repoDecryptors } from '../../lib/credentials/repo-decryptors.ts';
import type { AwsCredentials } from '../../lib/credentials/sigv4.ts';
import { CredentialsError } from '../../lib/errors.ts';
import type { FlowDeps } from '../../lib/flows/flow-deps.ts';
import { runFlow } from '../../lib/flows/run-flow.ts';
import { createHostAccess, type HostAccess } from '../../lib/hosts/host-access.ts';
import type { DeliveryReads } from '../../lib/jobs/delivery-reads.ts';
import type { JobContext, RunJob } from '../../lib/jobs/job-context.ts';
import type { RegisteredRepo } from '../../lib/ports/repo-registry.ts';
import type { HelmSupport } from '../../lib/render/helm-renderer.ts';
import type { KmsOptions } from '../../lib/secrets/kms-key-source.ts';
import { helmSupportFromEnv } from './helm-support.ts';
import { nodeKubeClient, nodeKubeFetch } from './kube-transport.ts';
import { loadKubeconfig } from './kubeconfig.ts';
import { holderIdentity, isLocalHolderAlive } from './lease-holder.ts';
import { localHostShell } from './local-host.ts';
import { processDeliveryReads } from './process-delivery-reads.ts';
import {
  createRenderSandbox,
  type RenderSandboxOptions,
  sandboxHelmEnv,
} from './render-sandbox.ts';
import { sopsEnv } from './sops-env.ts';
import { nodeDial } from './ssh-socket.ts';

/** How the Node reconciler reaches clusters and opens SOPS files. */
export interface NodeReconcilerOptions {
  /** The clock SSH certificates are minted by (tests make expired ones). */
  now?: () => number;
  /** Kubeconfig for bindings with `kubeconfig` credentials (default: the usual lookup). */
  kubeconfig?: string;
  /** The runtime's AWS KMS access; each repository may use only its own listed keys. */
  kms?: KmsOptions;
  aws?: AwsCredentials;
  /** The STS endpoint EKS bindings with a `roleArn` assume their role at (AWS_ENDPOINT_URL_STS). */
  stsEndpoint?: string;
  /** Wait for rollouts after applying. */
  health?: { timeoutMs: number };
  /** Wraps each cluster transport (the benchmark counts requests with it). */
  wrapTransport?: (fetcher: typeof fetch, target: KubernetesTarget) => typeof fetch;
  /**
   * Helm for apps with charts, when rendering in this process (`sandbox: false`): a render
   * sandbox cannot take this object and builds its own from `helmEnv`.
   */
  helm?: HelmSupport;
  /**
   * The environment helm support is built from (default: this process's; by default helm on
   * PATH, charts cached in the user's cache). Only helm's own variables are read.
   */
  helmEnv?: Record<string, string | undefined>;
  /**
   * Where apps are rendered: by default in the render sandbox (a worker thread per render that
   * holds no credential); `false` renders in this process.
   */
  sandbox?: RenderSandboxOptions | false;
  /** Reads shared by a delivery's jobs (default: the process's, shared with its webhook). */
  deliveryReads?: DeliveryReads;
}

/** Reads kubeconfig and AWS settings from the environment, as kubectl and the AWS SDK name them. */
export function reconcilerOptionsFromEnv(
  env: Record<string, string | undefined>,
): NodeReconcilerOptions {
  // Age identities are per repository (runtime settings), never the environment's.
  const { aws, kms } = sopsEnv({ ...env, SOPS_AGE_KEY: undefined, SOPS_AGE_KEY_FILE: undefined });
  return {
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
    ...(aws ? { aws } : {}),
    ...(env.AWS_ENDPOINT_URL_STS ? { stsEndpoint: env.AWS_ENDPOINT_URL_STS } : {}),
    ...(kms ? { kms } : {}),
    helmEnv: sandboxHelmEnv(env),
  };
}

/**
 * The flows' dependencies on Node for a job context: cluster access (tokens cached per
 * target, one pooled transport per server and CA), the SOPS decryptor and the lease holder.
 */
export function nodeFlowDeps(
  options: NodeReconcilerOptions = {},
): (context: JobContext) => FlowDeps {
  const holder = holderIdentity('node');
  // One transport per server, CA and client certificate, so connections are pooled across jobs.
  const transports = new Map<string, typeof fetch>();
  const transport = (target: KubernetesTarget, tls?: ClientTls) => {
    const key = JSON.stringify([
      target.server,
      target.ca ?? '',
      tls?.certPem ?? '',
      tls?.keyPem ?? '',
    ]);
    let fetcher = transports.get(key);
    if (!fetcher) {
      fetcher = nodeKubeFetch({
        server: target.server,
        ...(target.ca ? { caPem: target.ca } : {}),
        ...(tls ? { certPem: tls.certPem, keyPem: tls.keyPem } : {}),
        allowLinkLocal: target.allowLinkLocal,
      });
      if (options.wrapTransport) fetcher = options.wrapTransport(fetcher, target);
      transports.set(key, fetcher);
    }
    return fetcher;
  };
  const helmEnv = sandboxHelmEnv(options.helmEnv ?? process.env);
  if (options.helm && options.sandbox !== false) {
    throw new Error(
      'nodeFlowDeps: a HelmSupport object cannot enter the render sandbox; give helmEnv, or sandbox: false',
    );
  }
  // Every render (pushes, sweeps and pull request heads alike) runs in the sandbox, helm
  // charts included: the worker builds helm support from the same environment.
  const render =
    options.sandbox === false ? undefined : createRenderSandbox({ helmEnv, ...options.sandbox });
  // One push or sweep fans out into a job per app: they share the trusted configuration read
  // (with the webhook too, which read it for the same delivery in this process).
  const deliveryReads = options.deliveryReads ?? processDeliveryReads;
  let clusters: ClusterAccess | undefined;
  let hosts: HostAccess | undefined;
  let decryptors: ((repo: RegisteredRepo) => FileDecryptor) | undefined;
  // Built here as well: it checks the settings at start-up, and tells flows helm is available.
  const helm = options.helm ?? helmSupportFromEnv(helmEnv);
  return (context) => {
    clusters ??= createClusterAccess({
      secrets: context.secrets,
      transport,
      ...(options.aws ? { aws: async () => options.aws } : {}),
      ...(options.stsEndpoint ? { stsEndpoint: options.stsEndpoint } : {}),
      kubeconfig: async (name, target) => {
        const access = await loadKubeconfig({
          ...(options.kubeconfig ? { path: options.kubeconfig } : {}),
          context: name,
        });
        // The binding pins the server: a context pointing elsewhere is not what was bound.
        if (access.server.replace(/\/+$/, '') !== target.server) {
          throw new CredentialsError(
            `target ${target.name}: kubeconfig context ${name} points at another server than the binding's`,
            {
              hint: "Make the binding's server the context's cluster server, or name the right context.",
            },
          );
        }
        return nodeKubeClient(access);
      },
    });
    // Hosts of files apps: SSH over TCP, or this machine's shell for local bindings.
    hosts ??= createHostAccess({
      bindings: context.targets,
      secrets: context.secrets,
      dial: nodeDial(),
      local: () => localHostShell(),
      ...(options.kms ? { kms: options.kms } : {}),
      ...(options.now ? { now: options.now } : {}),
      runtime: 'the Node runtime',
    });
    decryptors ??= repoDecryptors({
      secrets: context.secrets,
      ...(options.kms ? { kms: options.kms } : {}),
    });
    const forRepo = decryptors;
    return {
      ...context,
      deliveryReads,
      clusters,
      hosts,
      holder,
      lease: { isHolderAlive: (identity: string) => isLocalHolderAlive(identity) },
      decryptorFor: (repo) => forRepo(repo),
      helm,
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
  return (job, context) => runFlow(job, depsFor(context));
}
