/**
 * Trusted configuration: the one place that decides which apps exist, which branch each
 * tracks, and which target and namespace each deploys to. Only `plumbline.yaml` at the head
 * of the branch the operator trusts counts (by default the repository's default branch, as
 * GitHub says; `repositories[].trustedBranch` in the runtime settings overrides it). Any other
 * branch, and every pull request head, is hostile input: it can change what a trusted app
 * renders (that is what a deployment branch is for), never what the app is or where it goes.
 *
 * The webhook (which apps a push concerns), the reconcile and sweep jobs (the app and its
 * target), and pull request plans (which apps to plan, against which target) all ask here.
 * The file is read with one bounded request and parsed in linear time, so even the webhook
 * may read it inside a request.
 */
import { ConfigError } from '../errors.ts';
import type { GitSource, RepoRef } from '../ports/git-source.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { bindingAllowsPath, type HostTarget } from './host-binding.ts';
import { MAX_REPO_CONFIG_BYTES, parseRepoConfig, REPO_CONFIG_FILE } from './parse-repo-config.ts';
import type { AppConfig, FilesAppConfig, KubernetesAppConfig, RepoConfig } from './repo-config.ts';
import {
  bindingAllowsNamespace,
  bindingAllowsRepository,
  type KubernetesTarget,
  type TargetBinding,
} from './target-binding.ts';

/** The configuration a repository's trusted branch holds now. */
export interface TrustedConfig {
  /** The trusted branch. */
  branch: string;
  /** Its head when read. */
  sha: string;
  config: RepoConfig;
}

/** The branch whose configuration `repo` trusts: the operator's choice, else the default branch. */
export function trustedBranchOf(repo: RegisteredRepo, gitHost: GitSource): Promise<string> {
  return repo.trustedBranch !== undefined
    ? Promise.resolve(repo.trustedBranch)
    : gitHost.defaultBranch(repo.ref);
}

/**
 * `plumbline.yaml` at commit `sha`, or `undefined` when there is none. Throws
 * `RepoConfigError` when it is invalid, larger than `MAX_REPO_CONFIG_BYTES` or not UTF-8.
 * Apps that name no branch track `defaultBranch`.
 */
export async function readRepoConfig(
  gitHost: GitSource,
  repo: RepoRef,
  sha: string,
  defaultBranch: string,
): Promise<RepoConfig | undefined> {
  const bytes = await gitHost.readFile(repo, sha, REPO_CONFIG_FILE);
  if (!bytes) return undefined;
  if (bytes.byteLength > MAX_REPO_CONFIG_BYTES) {
    throw new ConfigError(
      `${REPO_CONFIG_FILE}: is ${bytes.byteLength} bytes; Plumbline reads at most ${MAX_REPO_CONFIG_BYTES}`,
      {
        file: REPO_CONFIG_FILE,
        hint: 'Keep plumbline.yaml to apps and their settings (a few hundred bytes per app).',
      },
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`${REPO_CONFIG_FILE}: is not valid UTF-8`, {
      file: REPO_CONFIG_FILE,
      hint: 'Save plumbline.yaml as UTF-8.',
    });
  }
  return parseRepoConfig(text, REPO_CONFIG_FILE, { defaultBranch });
}

/**
 * The trusted configuration of `repo`, or `undefined` when its trusted branch has no
 * `plumbline.yaml` (the repository has not opted in). Throws `ConfigError` when it is
 * invalid and `GitHubError` when the repository cannot be read.
 */
export async function loadTrustedConfig(
  repo: RegisteredRepo,
  gitHost: GitSource,
): Promise<TrustedConfig | undefined> {
  const branch = await trustedBranchOf(repo, gitHost);
  const sha = await gitHost.branchHead(repo.ref, branch);
  const config = await readRepoConfig(gitHost, repo.ref, sha, branch);
  return config && { branch, sha, config };
}

/** The trusted apps a push to `branch` concerns: those that track it. */
export function appsTracking(trusted: TrustedConfig, branch: string): AppConfig[] {
  return trusted.config.apps.filter((app) => app.branch === branch);
}

/** A trusted app names a target the settings do not let it use. */
export class TargetNotAllowedError extends ConfigError {}

/**
 * The binding `app` of `repo` deploys through, checked against the runtime settings: it must
 * exist, list the repository, be a Kubernetes binding and allow the app's namespace. Each
 * refusal names the setting to change; none reveals which other repositories a binding serves.
 */
export function targetFor(
  app: KubernetesAppConfig,
  repo: RegisteredRepo,
  targets: readonly TargetBinding[],
): KubernetesTarget {
  const binding = boundTarget(app, repo, targets);
  if (binding.kind !== 'kubernetes') {
    throw new TargetNotAllowedError(
      `${REPO_CONFIG_FILE}: app ${app.name}: target '${binding.name}' is a ${binding.kind} host, not a Kubernetes cluster`,
      {
        file: REPO_CONFIG_FILE,
        hint: 'Deploy files to a host with `kind: files` (docs/hosts.md), or name a Kubernetes target.',
      },
    );
  }
  if (!bindingAllowsNamespace(binding, app.namespace)) {
    throw new TargetNotAllowedError(
      `${REPO_CONFIG_FILE}: app ${app.name}: namespace '${app.namespace}' is not allowed on target '${binding.name}' (runtime setting targets[${binding.name}].namespaces: ${binding.namespaces.join(', ')})`,
      {
        file: REPO_CONFIG_FILE,
        hint: "Deploy to an allowed namespace, or ask the operator to add this one to the binding's namespaces.",
      },
    );
  }
  return binding;
}

/**
 * The host binding a `files` app of `repo` deploys to, checked against the runtime settings:
 * it must exist, list the repository, be an `ssh` or `local` binding, and hold the app's
 * destination under one of its `paths`.
 */
export function hostTargetFor(
  app: FilesAppConfig,
  repo: RegisteredRepo,
  targets: readonly TargetBinding[],
): HostTarget {
  const binding = boundTarget(app, repo, targets);
  if (binding.kind === 'kubernetes') {
    throw new TargetNotAllowedError(
      `${REPO_CONFIG_FILE}: app ${app.name}: target '${binding.name}' is a Kubernetes cluster, not a host for files`,
      {
        file: REPO_CONFIG_FILE,
        hint: 'Name an ssh or local target binding (infra/ssh/README.md), or deploy manifests without `kind: files`.',
      },
    );
  }
  if (!bindingAllowsPath(binding, app.destination)) {
    throw new TargetNotAllowedError(
      `${REPO_CONFIG_FILE}: app ${app.name}: destination ${app.destination} is outside the directories target '${binding.name}' allows (runtime setting targets[${binding.name}].paths: ${binding.paths.join(', ')})`,
      {
        file: REPO_CONFIG_FILE,
        hint: "Deploy under an allowed directory, or ask the operator to add this one to the binding's paths.",
      },
    );
  }
  return binding;
}

/** The binding `app` names, if it exists and serves `repo`; the refusal otherwise. */
function boundTarget(
  app: AppConfig,
  repo: RegisteredRepo,
  targets: readonly TargetBinding[],
): TargetBinding {
  const where = `${REPO_CONFIG_FILE}: app ${app.name}`;
  const binding = targets.find((t) => t.name === app.target);
  if (!binding || !bindingAllowsRepository(binding, repo.fullName)) {
    const usable = targets
      .filter((t) => bindingAllowsRepository(t, repo.fullName))
      .map((t) => t.name);
    const reason = binding
      ? `target '${app.target}' does not serve repository ${repo.fullName} (runtime setting targets[${app.target}].repositories)`
      : `no target '${app.target}' is bound in the runtime settings (targets)`;
    throw new TargetNotAllowedError(`${where}: ${reason}`, {
      file: REPO_CONFIG_FILE,
      hint: `Targets this repository may use: ${usable.length > 0 ? usable.join(', ') : 'none'}. The operator binds targets, and the repositories each serves, in the runtime settings; a repository cannot define or widen one (docs/security.md).`,
    });
  }
  return binding;
}
