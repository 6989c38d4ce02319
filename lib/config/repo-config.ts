/** The typed contents of `plumbline.yaml`, as the rest of Plumbline sees them. */
import type { HelmAppSource } from '../render/helm-app.ts';

/** A set of manifests (a kustomization or a plain directory) deployed to one namespace. */
export interface KubernetesAppConfig {
  kind: 'kubernetes';
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
  /**
   * Hold a deploy until a plan matching the merged commit (same rendered objects, same live
   * state) has been shown on its pull request.
   */
  requireReviewedPlan: boolean;
  /** Fail when another field manager changed fields Git declares, instead of taking them back. */
  failOnConflict: boolean;
  /** Allow pruning a CRD or Namespace that still holds objects outside the app. */
  pruneContents: boolean;
  /** A Helm chart to render instead of a kustomization at `path`. */
  helm?: HelmAppSource;
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
  /** Name of the host binding (`ssh` or `local`) in the runtime settings. */
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
  /** The branch whose pushes deploy the app (default: the trusted branch). */
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
  apps: AppConfig[];
  /** Plan pull requests from forks (their render inputs could exfiltrate data). */
  allowForkPlans: boolean;
}
