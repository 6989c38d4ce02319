/** The typed contents of `plumbline.yaml`, as the rest of Plumbline sees them. */
import type { HelmAppSource } from '../render/helm-app.ts';

/** How Plumbline obtains a short-lived credential for a target. */
export type TargetCredentials =
  | {
      /** A context of the local kubeconfig: for the CLI only, never in the functions. */
      kind: 'kubeconfig';
      context: string;
    }
  | {
      /** A ServiceAccount token from the TokenRequest API, using a bootstrap credential. */
      kind: 'tokenRequest';
      serviceAccount: string;
      namespace: string;
      /** Audience of the token; the API server's default when absent. */
      audience?: string;
      /** Name of the runtime secret holding the bootstrap credential. */
      bootstrapSecret: string;
      /** Requested lifetime (600 when absent). */
      expirationSeconds: number;
    }
  | {
      /** A presigned STS token for an EKS cluster. */
      kind: 'eks';
      cluster: string;
      region: string;
      roleArn?: string;
    }
  | {
      /** A bearer token held by the runtime under this secret name. */
      kind: 'token';
      secret: string;
    };

/** A cluster that apps deploy to. */
export interface TargetConfig {
  name: string;
  /** The API server URL (https). */
  server: string;
  /** PEM CA bundle of the API server; absent when it is publicly trusted. */
  ca?: string;
  credentials: TargetCredentials;
}

/** A set of manifests (a kustomization or a plain directory) deployed to one namespace. */
export interface AppConfig {
  name: string;
  /** Repository-relative, normalized directory of the app (`''` is the root). */
  path: string;
  /** Name of the target (always one defined in `targets`). */
  target: string;
  namespace: string;
  branch: string;
  prune: boolean;
  selfHeal: boolean;
  /** A Helm chart to render instead of a kustomization at `path`. */
  helm?: HelmAppSource;
}

/** The whole of `plumbline.yaml`. */
export interface RepoConfig {
  targets: TargetConfig[];
  apps: AppConfig[];
  /** Plan pull requests from forks (their render inputs could exfiltrate data). */
  allowForkPlans: boolean;
}

/** The target an app deploys to (the parser guarantees it exists). */
export function targetOf(config: RepoConfig, app: AppConfig): TargetConfig {
  const target = config.targets.find((t) => t.name === app.target);
  if (!target) throw new Error(`app '${app.name}' names unknown target '${app.target}'`);
  return target;
}
