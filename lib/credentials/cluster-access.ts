/**
 * Cluster access per target: a `KubeClient` carrying a short-lived credential, made from what
 * `plumbline.yaml` says about the target and what the runtime holds (secrets, a transport that
 * trusts the target's CA). Token sources are kept per target, so a TokenRequest or EKS token is
 * reused until near its expiry instead of minted per job.
 */
import type { TargetConfig } from '../config/repo-config.ts';
import { eksTokenSource } from '../credentials/eks-token.ts';
import type { AwsCredentials } from '../credentials/sigv4.ts';
import { tokenRequestCredentials } from '../credentials/token-request.ts';
import { CredentialsError } from '../errors.ts';
import { createKubeClient, type KubeClient } from '../kube/client.ts';
import type { SecretStore } from '../ports/secret-store.ts';

/** What the runtime provides to reach clusters. */
export interface ClusterAccessDeps {
  /** Secrets named by targets (bearer tokens, TokenRequest bootstrap credentials). */
  secrets: SecretStore;
  /**
   * The fetch to use for a target: on Node one that trusts `target.ca`; on Workers the global
   * fetch (which cannot trust a private CA, so the Workers runtime refuses such targets).
   */
  transport: (target: TargetConfig) => typeof fetch;
  /** AWS credentials for EKS targets (STS presigning happens locally, no request is made). */
  aws?: () => Promise<AwsCredentials | undefined>;
  /** A client for a kubeconfig context: only local runtimes (CLI, `plumbline serve`) have one. */
  kubeconfig?: (context: string, target: TargetConfig) => Promise<KubeClient>;
  now?: () => number;
}

/** Hands out clients per target. */
export interface ClusterAccess {
  clientFor(target: TargetConfig): Promise<KubeClient>;
}

type Headers = () => Promise<Record<string, string>>;

/** Creates the per-target client factory. */
export function createClusterAccess(deps: ClusterAccessDeps): ClusterAccess {
  const headerSources = new Map<string, Headers>();

  async function secret(target: TargetConfig, name: string, purpose: string): Promise<string> {
    const value = await deps.secrets.get(name);
    if (!value) {
      throw new CredentialsError(
        `target ${target.name}: the runtime holds no secret '${name}' (${purpose})`,
        {
          hint: `Give the runtime a secret named '${name}' (Workers: wrangler secret put; Node: the settings file or environment), or change the target's credentials in plumbline.yaml.`,
        },
      );
    }
    return value;
  }

  async function headersFor(target: TargetConfig): Promise<Headers> {
    const key = `${target.name}|${target.server}|${JSON.stringify(target.credentials)}`;
    const known = headerSources.get(key);
    if (known) return known;
    const credentials = target.credentials;
    let source: Headers;
    switch (credentials.kind) {
      case 'token': {
        const token = await secret(target, credentials.secret, 'its bearer token');
        source = async () => ({ authorization: `Bearer ${token}` });
        break;
      }
      case 'tokenRequest': {
        const bootstrapToken = await secret(
          target,
          credentials.bootstrapSecret,
          'the bootstrap credential that mints deployer tokens',
        );
        const bootstrap = createKubeClient({
          server: target.server,
          fetch: deps.transport(target),
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
        source = () => tokens.headers();
        break;
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
        const eks = eksTokenSource({
          clusterName: credentials.cluster,
          region: credentials.region,
          credentials: aws,
          now: deps.now,
        });
        source = () => eks.headers();
        break;
      }
      case 'kubeconfig':
        throw new CredentialsError(
          `target ${target.name}: kubeconfig credentials work only where a kubeconfig is (the CLI, plumbline serve on a workstation)`,
          { hint: 'Use token, tokenRequest or eks credentials for a deployed Plumbline.' },
        );
    }
    headerSources.set(key, source);
    return source;
  }

  return {
    async clientFor(target) {
      if (target.credentials.kind === 'kubeconfig' && deps.kubeconfig) {
        return deps.kubeconfig(target.credentials.context, target);
      }
      return createKubeClient({
        server: target.server,
        fetch: deps.transport(target),
        headers: await headersFor(target),
      });
    },
  };
}
