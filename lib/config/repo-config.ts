/** The typed contents of `plumbline.yaml`, as the rest of Plumbline sees them. */

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
export interface KubernetesAppConfig {
  kind: 'kubernetes';
  name: string;
  /** Repository-relative, normalized directory of the app (`''` is the root). */
  path: string;
  /** Name of the target (always one defined in `targets`). */
  target: string;
  namespace: string;
  branch: string;
  prune: boolean;
  selfHeal: boolean;
}

/** A file mode for the files of a `files` app that match a pattern. */
export interface FileModeRule {
  /** A path pattern relative to the app's directory: `*` within a segment, `**` across. */
  pattern: string;
  /** Permission bits, e.g. `0o640`. */
  mode: number;
}

/**
 * A directory of config files deployed to a host: written beside the live ones, validated,
 * swapped in and followed by a reload. `validate` and `reload` come only from trusted
 * configuration; `{staged}` in them becomes the staged directory's path (shell-quoted).
 */
export interface FilesAppConfig {
  kind: 'files';
  name: string;
  /** Repository-relative, normalized directory of the files (`''` is the root). */
  path: string;
  /** The host binding (in the operator's runtime settings) it deploys to. */
  target: string;
  /** Absolute directory on the host the files go into. */
  destination: string;
  /** Mode of files no rule matches (SOPS-encrypted files are always 0600). */
  mode: number;
  /** Modes by path pattern; the first matching rule wins. */
  modes: FileModeRule[];
  /** Checks the staged set before the swap, e.g. `nginx -t -c {staged}/nginx.conf`. */
  validate?: string;
  /** Runs after the swap, e.g. `sudo -n systemctl reload nginx`. */
  reload?: string;
  branch: string;
  prune: boolean;
  selfHeal: boolean;
  /** Take over files already at the destination that Plumbline does not own yet. */
  adopt: boolean;
}

/** An app: Kubernetes manifests, or files for a host. */
export type AppConfig = KubernetesAppConfig | FilesAppConfig;

/** The whole of `plumbline.yaml`. */
export interface RepoConfig {
  targets: TargetConfig[];
  apps: AppConfig[];
  /** Plan pull requests from forks (their render inputs could exfiltrate data). */
  allowForkPlans: boolean;
}

/** The target an app deploys to (the parser guarantees it exists). */
export function targetOf(config: RepoConfig, app: KubernetesAppConfig): TargetConfig {
  const target = config.targets.find((t) => t.name === app.target);
  if (!target) throw new Error(`app '${app.name}' names unknown target '${app.target}'`);
  return target;
}
