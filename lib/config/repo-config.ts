/** The typed contents of `plumbline.yaml`, as the rest of Plumbline sees them. */

/** A set of manifests (a kustomization or a plain directory) deployed to one namespace. */
export interface AppConfig {
  name: string;
  /** Repository-relative, normalized directory of the app (`''` is the root). */
  path: string;
  /** Name of the target binding in the runtime settings the app deploys through. */
  target: string;
  namespace: string;
  /** The branch whose pushes deploy the app (default: the trusted branch). */
  branch: string;
  prune: boolean;
  selfHeal: boolean;
}

/** The whole of `plumbline.yaml`. */
export interface RepoConfig {
  apps: AppConfig[];
  /** Plan pull requests from forks (their render inputs could exfiltrate data). */
  allowForkPlans: boolean;
}
