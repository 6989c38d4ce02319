/**
 * The source stage of a reconcile job: the app and its target come from the repository's
 * trusted configuration (`lib/config/trusted-config.ts`), never from the branch being
 * deployed; that branch's head (jobs are level-triggered and never carry a commit) is what is
 * rendered. The reconciler starts from what this returns.
 */
import type { HostTarget } from '../config/host-binding.ts';
import type {
  AppConfig,
  FilesAppConfig,
  KubernetesAppConfig,
  RepoConfig,
} from '../config/repo-config.ts';
import type { KubernetesTarget, TargetBinding } from '../config/target-binding.ts';
import {
  hostTargetFor,
  loadTrustedConfig,
  TargetNotAllowedError,
  type TrustedConfig,
  targetFor,
} from '../config/trusted-config.ts';
import { ConfigError } from '../errors.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { GitSource } from '../ports/git-source.ts';
import type { RegisteredRepo, RepoRegistry } from '../ports/repo-registry.ts';
import type { FileTree } from '../source/file-tree.ts';
import type { DeliveryReads } from './delivery-reads.ts';
import type { ReconcileJob } from './job.ts';

/** Everything a reconciler needs about one app at the head of its branch. */
export interface ResolvedJob {
  kind: 'ready';
  repo: RegisteredRepo;
  /** Where the repository is read from. */
  source: GitSource;
  /** GitHub, for a repository on GitHub: where deployments, statuses and issues go. */
  github?: GitHost;
  /** The commit at the head of the app's branch when the job ran: what is rendered. */
  sha: string;
  tree: FileTree;
  /** The trusted configuration (from the trusted branch, whatever branch the app tracks). */
  config: RepoConfig;
  trusted: TrustedConfig;
  app: KubernetesAppConfig;
  /** The binding the app deploys through, checked against the runtime settings. */
  target: KubernetesTarget;
}

/** A `files` app at the head of its branch, with the host binding it deploys to. */
export interface ResolvedFilesJob extends Omit<ResolvedJob, 'kind' | 'app' | 'target'> {
  kind: 'files';
  app: FilesAppConfig;
  target: HostTarget;
}

/**
 * An app whose trusted definition names a target the runtime settings do not let it use: the
 * job cannot deploy, and says so on the commit (nothing was downloaded or sent).
 */
export interface RefusedJob {
  kind: 'refused';
  repo: RegisteredRepo;
  /** GitHub, for a repository on it (a Git source's refusal goes to the log and history). */
  github?: GitHost;
  /** The head of the app's branch, where the refusal is reported. */
  sha: string;
  app: AppConfig;
  error: TargetNotAllowedError;
}

/** A job with nothing to do any more (the repository or app left, the branch changed). */
export interface SkippedJob {
  kind: 'skip';
  reason: string;
}

/** What the source stage needs (a `JobContext` has it). */
export interface ResolveJobDeps {
  /**
   * Reads shared by the jobs of one delivery (the trusted configuration, branch heads); without
   * it every job reads for itself.
   */
  deliveryReads?: DeliveryReads;
  registry: RepoRegistry;
  /** GitHub, for the repositories on GitHub. */
  gitHostFor: (repo: RegisteredRepo) => GitHost;
  /** The source of a repository read with Git (`repo.git`); absent: the runtime has none. */
  gitSourceFor?: (repo: RegisteredRepo) => GitSource;
  /** The operator's target bindings (the runtime settings' `targets`). */
  targets: readonly TargetBinding[];
}

/**
 * Resolves `job` against the trusted configuration and the current head of its branch.
 * Throws `GitHubError` or `SourceError` when the repository cannot be read, and
 * `ConfigError` when the trusted `plumbline.yaml` is invalid. An app whose target is not one
 * the settings let it use is `refused` (with the head it would have deployed), so the flows
 * can report it where its authors look.
 */
export async function resolveReconcileJob(
  job: ReconcileJob,
  deps: ResolveJobDeps,
): Promise<ResolvedJob | ResolvedFilesJob | RefusedJob | SkippedJob> {
  const repo = deps.registry.lookup(job.repo);
  if (!repo) return { kind: 'skip', reason: `repository ${job.repo} is no longer configured` };
  const { source, github } = repoAccess(repo, deps);
  const shared = <T>(key: string, load: () => Promise<T>): Promise<T> =>
    deliveryRead(deps.deliveryReads, repo, job.deliveryId, key, load);
  const trusted = await trustedConfigOf(repo, source, job.deliveryId, deps.deliveryReads);
  if (!trusted) {
    return { kind: 'skip', reason: `no plumbline.yaml on the trusted branch of ${repo.fullName}` };
  }
  const where = `plumbline.yaml at ${trusted.sha.slice(0, 7)} of ${trusted.branch}`;
  const app = trusted.config.apps.find((a) => a.name === job.app);
  if (!app) return { kind: 'skip', reason: `app '${job.app}' is not in ${where}` };
  if (app.branch !== job.branch) {
    return {
      kind: 'skip',
      reason: `app '${job.app}' tracks branch ${app.branch}, not ${job.branch} (${where})`,
    };
  }
  const headOf = () =>
    job.branch === trusted.branch
      ? trusted.sha
      : shared(`head of ${job.branch}`, () => source.branchHead(repo.ref, job.branch));
  const reporting = github ? { github } : {};
  let target: HostTarget | undefined;
  let cluster: KubernetesTarget | undefined;
  try {
    target = app.kind === 'files' ? hostTargetFor(app, repo, deps.targets) : undefined;
    cluster = app.kind === 'kubernetes' ? targetFor(app, repo, deps.targets) : undefined;
  } catch (error) {
    if (!(error instanceof TargetNotAllowedError)) throw error;
    return { kind: 'refused', repo, ...reporting, sha: await headOf(), app, error };
  }
  const sha = await headOf();
  const tree = await source.treeAt(repo.ref, sha);
  const common = { repo, source, ...reporting, sha, tree, config: trusted.config, trusted };
  if (app.kind === 'files' && target) return { kind: 'files', ...common, app, target };
  if (app.kind === 'kubernetes' && cluster)
    return { kind: 'ready', ...common, app, target: cluster };
  throw new Error('unreachable: every app kind has its target');
}

/** `load`, shared by everything reading `key` of `repo` for one delivery when `reads` is given. */
function deliveryRead<T>(
  reads: DeliveryReads | undefined,
  repo: RegisteredRepo,
  deliveryId: string,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  return reads ? reads.read(`${repo.fullName}\u0000${deliveryId}`, key, load) : load();
}

/**
 * The trusted configuration of `repo` for delivery `deliveryId`. With `reads`, the webhook
 * that received the delivery and every job it enqueued share one read (on Node they run in
 * one process): the jobs then render the head the webhook saw, never an older one.
 */
export function trustedConfigOf(
  repo: RegisteredRepo,
  source: GitSource,
  deliveryId: string,
  reads?: DeliveryReads,
): Promise<TrustedConfig | undefined> {
  return deliveryRead(reads, repo, deliveryId, 'trusted configuration', () =>
    loadTrustedConfig(repo, source),
  );
}

/** How a repository is read, and whether its outcomes go to GitHub. */
export interface RepoAccess {
  source: GitSource;
  /** Present for a repository on GitHub. */
  github?: GitHost;
}

/**
 * The source of `repo` (Git for a path or URL, else GitHub) and GitHub when it is on GitHub.
 * Throws `ConfigError` for a Git source in a runtime that reads none.
 */
export function repoAccess(
  repo: RegisteredRepo,
  deps: Pick<ResolveJobDeps, 'gitHostFor' | 'gitSourceFor'>,
): RepoAccess {
  if (repo.git === undefined) {
    const github = deps.gitHostFor(repo);
    return { source: github, github };
  }
  if (!deps.gitSourceFor) {
    throw new ConfigError(
      `repositories: ${repo.fullName} is a Git source (url), which this runtime does not read`,
      { hint: 'Serve Git sources with the Node runtime (plumbline serve).' },
    );
  }
  return { source: deps.gitSourceFor(repo) };
}
