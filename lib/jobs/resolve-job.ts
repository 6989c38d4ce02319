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
import type { GitHost } from '../ports/git-host.ts';
import type { RegisteredRepo, RepoRegistry } from '../ports/repo-registry.ts';
import type { FileTree } from '../source/file-tree.ts';
import type { ReconcileJob } from './job.ts';

/** Everything a reconciler needs about one app at the head of its branch. */
export interface ResolvedJob {
  kind: 'ready';
  repo: RegisteredRepo;
  gitHost: GitHost;
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
  gitHost: GitHost;
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
  registry: RepoRegistry;
  gitHostFor: (repo: RegisteredRepo) => GitHost;
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
  const gitHost = deps.gitHostFor(repo);
  const trusted = await loadTrustedConfig(repo, gitHost);
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
    job.branch === trusted.branch ? trusted.sha : gitHost.branchHead(repo.ref, job.branch);
  let target: HostTarget | undefined;
  let cluster: KubernetesTarget | undefined;
  try {
    target = app.kind === 'files' ? hostTargetFor(app, repo, deps.targets) : undefined;
    cluster = app.kind === 'kubernetes' ? targetFor(app, repo, deps.targets) : undefined;
  } catch (error) {
    if (!(error instanceof TargetNotAllowedError)) throw error;
    return { kind: 'refused', repo, gitHost, sha: await headOf(), app, error };
  }
  const sha = await headOf();
  const tree = await gitHost.treeAt(repo.ref, sha);
  const common = { repo, gitHost, sha, tree, config: trusted.config, trusted };
  if (app.kind === 'files' && target) return { kind: 'files', ...common, app, target };
  if (app.kind === 'kubernetes' && cluster)
    return { kind: 'ready', ...common, app, target: cluster };
  throw new Error('unreachable: every app kind has its target');
}
