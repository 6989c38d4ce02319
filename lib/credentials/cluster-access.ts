/**
 * Cluster access per target binding: a `KubeClient` carrying a short-lived credential, made
 * only from what the operator bound in the runtime settings (server, CA, credential source,
 * Access token) and the secrets the runtime holds. Nothing a repository writes reaches here
 * but the binding's name, so a credential is only ever sent to the server its binding names.
 * Every client is fenced to the binding's namespaces (`namespace-guard.ts`). Token sources
 * are kept per binding, so a TokenRequest or EKS token is reused until near its expiry.
 */
import type { KubernetesTarget } from '../config/target-binding.ts';
import { eksTokenSource } from '../credentials/eks-token.ts';
import type { AwsCredentials } from '../credentials/sigv4.ts';
import { roleCredentialsSource } from '../credentials/sts.ts';
import { tokenRequestCredentials } from '../credentials/token-request.ts';
import { CredentialsError } from '../errors.ts';
import {
  createKubeClient,
  type DiscoveryCache,
  type KubeClient,
  sharedDiscovery,
} from '../kube/client.ts';
import type { SecretStore } from '../ports/secret-store.ts';
import { guardNamespaces } from './namespace-guard.ts';

/** A TLS client certificate and its key (PEM), from the runtime's secrets. */
export interface ClientTls {
  certPem: string;
  keyPem: string;
}

/** What the runtime provides to reach clusters. */
export interface ClusterAccessDeps {
  /** Secrets named by bindings (bearer tokens, bootstrap credentials, keys, Access secrets). */
  secrets: SecretStore;
  /**
   * The fetch to use for a binding: on Node one that trusts `target.ca` and presents `tls`;
   * on Workers the global fetch (which can do neither, so the Worker refuses such bindings).
   */
  transport: (target: KubernetesTarget, tls?: ClientTls) => typeof fetch;
  /**
   * AWS credentials for EKS bindings (STS presigning happens locally; a binding with a
   * `roleArn` first assumes that role through STS).
   */
  aws?: () => Promise<AwsCredentials | undefined>;
  /** The STS endpoint for `roleArn` bindings (default `https://sts.<region>.amazonaws.com`). */
  stsEndpoint?: string;
  /**
   * A client for a kubeconfig context, whose server must be the binding's: only runtimes
   * with a kubeconfig (the Node runtime run by its operator) have one.
   */
  kubeconfig?: (context: string, target: KubernetesTarget) => Promise<KubeClient>;
  now?: () => number;
}

/** Hands out clients per binding. */
export interface ClusterAccess {
  clientFor(target: KubernetesTarget): Promise<KubeClient>;
}

type Headers = () => Promise<Record<string, string>>;

/** Creates the per-binding client factory. */
export function createClusterAccess(deps: ClusterAccessDeps): ClusterAccess {
  const clients = new Map<
    string,
    Promise<{ headers: Headers; fetch: typeof fetch; discoveryCache: DiscoveryCache }>
  >();

  async function secret(target: KubernetesTarget, name: string, purpose: string): Promise<string> {
    const value = await deps.secrets.get(name);
    if (!value) {
      throw new CredentialsError(
        `target ${target.name}: the runtime holds no secret '${name}' (${purpose})`,
        {
          hint: `Give the runtime a secret named '${name}' (Workers: wrangler secret put PLUMBLINE_SECRET_...; Node: the settings file's secrets or PLUMBLINE_SECRET_... in the environment), or change the binding's credentials in the runtime settings.`,
        },
      );
    }
    return value;
  }

  async function credentialHeaders(
    target: KubernetesTarget,
    fetcher: typeof fetch,
  ): Promise<Headers> {
    const credentials = target.credentials;
    switch (credentials.kind) {
      case 'token': {
        const token = await secret(target, credentials.secret, 'its bearer token');
        return async () => ({ authorization: `Bearer ${token}` });
      }
      case 'tokenRequest': {
        const bootstrapToken = await secret(
          target,
          credentials.bootstrapSecret,
          'the bootstrap credential that mints deployer tokens',
        );
        const bootstrap = createKubeClient({
          server: target.server,
          fetch: fetcher,
          headers: { authorization: `Bearer ${bootstrapToken}` },
        });
        const tokens = tokenRequestCredentials({
          bootstrap,
          namespace: credentials.namespace,
          serviceAccount: credentials.serviceAccount,
          audiences: credentials.audience ? [credentials.audience] : undefined,
          expirationSeconds: credentials.expirationSeconds,
          now: deps.now,
        });
        return () => tokens.headers();
      }
      case 'eks': {
        const aws = await deps.aws?.();
        if (!aws) {
          throw new CredentialsError(
            `target ${target.name}: EKS credentials need AWS credentials`,
            {
              hint: 'Give the runtime AWS credentials allowed to call sts:GetCallerIdentity for the role mapped in the cluster.',
            },
          );
        }
        // The token is presigned for the cluster this binding names, and sent only to its
        // server; with a roleArn, as the role (STS AssumeRole with the runtime's identity).
        const role = credentials.roleArn
          ? roleCredentialsSource({
              roleArn: credentials.roleArn,
              sessionName: `plumbline-${target.name}`,
              region: credentials.region,
              credentials: async () => aws,
              ...(deps.stsEndpoint ? { endpoint: deps.stsEndpoint } : {}),
              ...(deps.now ? { now: deps.now } : {}),
            })
          : undefined;
        const eks = eksTokenSource({
          clusterName: credentials.cluster,
          region: credentials.region,
          credentials: role ? async () => role() : aws,
          now: deps.now,
        });
        return () => eks.headers();
      }
      case 'clientCertificate':
        // The certificate authenticates at the TLS layer (the transport presents it).
        return async () => ({});
      case 'kubeconfig':
        throw new CredentialsError(
          `target ${target.name}: kubeconfig credentials work only where a kubeconfig is (plumbline serve or sweep on the operator's machine)`,
          {
            hint: 'Bind this target with token, tokenRequest, eks or clientCertificate credentials.',
          },
        );
    }
  }

  async function connect(
    target: KubernetesTarget,
  ): Promise<{ headers: Headers; fetch: typeof fetch; discoveryCache: DiscoveryCache }> {
    const credentials = target.credentials;
    const tls =
      credentials.kind === 'clientCertificate'
        ? {
            certPem: await secret(target, credentials.certificateSecret, 'its client certificate'),
            keyPem: await secret(target, credentials.keySecret, "its client certificate's key"),
          }
        : undefined;
    const fetcher = deps.transport(target, tls);
    const base = await credentialHeaders(target, fetcher);
    // One discovery per binding, shared by the jobs of a push or a sweep.
    const discoveryCache = sharedDiscovery(30_000, deps.now);
    const access = target.access;
    if (!access) return { headers: base, fetch: fetcher, discoveryCache };
    const accessSecret = await secret(target, access.secret, 'its Cloudflare Access client secret');
    return {
      fetch: fetcher,
      discoveryCache,
      headers: async () => ({
        ...(await base()),
        'cf-access-client-id': access.clientId,
        'cf-access-client-secret': accessSecret,
      }),
    };
  }

  return {
    async clientFor(target) {
      if (target.credentials.kind === 'kubeconfig' && deps.kubeconfig) {
        return guardNamespaces(await deps.kubeconfig(target.credentials.context, target), target);
      }
      // Bindings are fixed for the process's life: the name and the binding's content key it.
      const key = `${target.name}\n${JSON.stringify(target)}`;
      let connecting = clients.get(key);
      if (!connecting) {
        connecting = connect(target);
        clients.set(key, connecting);
        // A missing secret may be added (Workers secrets, a restart): do not remember failures.
        connecting.catch(() => clients.delete(key));
      }
      const { headers, fetch: fetcher, discoveryCache } = await connecting;
      return guardNamespaces(
        createKubeClient({ server: target.server, fetch: fetcher, headers, discoveryCache }),
        target,
      );
    },
  };
}
