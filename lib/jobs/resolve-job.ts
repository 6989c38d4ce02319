/**
 * The source stage of a reconcile job: re-reads the branch head (jobs are level-triggered and
 * never carry a commit), the repository at that commit, its `plumbline.yaml`, and the app and
 * target the job names. The reconciler starts from what this returns.
 */
import { loadRepoConfig } from '../config/load-repo-config.ts';
import type {
  FilesAppConfig,
  KubernetesAppConfig,
  RepoConfig,
  TargetConfig,
} from '../config/repo-config.ts';
import { targetOf } from '../config/repo-config.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { RegisteredRepo, RepoRegistry } from '../ports/repo-registry.ts';
import type { FileTree } from '../source/file-tree.ts';
import type { ReconcileJob } from './job.ts';

/** Everything a reconciler needs about one app at the head of its branch. */
export interface ResolvedJob {
  kind: 'ready';
  repo: RegisteredRepo;
  gitHost: GitHost;
  /** The commit at the head of the branch when the job ran. */
  sha: string;
  tree: FileTree;
  config: RepoConfig;
  app: KubernetesAppConfig;
  target: TargetConfig;
}

/** A `files` app at the head of its branch: its target is a host binding, not a cluster. */
export interface ResolvedFilesJob extends Omit<ResolvedJob, 'kind' | 'app' | 'target'> {
  kind: 'files';
  app: FilesAppConfig;
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
}

/**
 * Resolves `job` against the current head. Throws `GitHubError` or `SourceError` when the
 * repository cannot be read and `ConfigError` when `plumbline.yaml` is invalid.
 */
export async function resolveReconcileJob(
  job: ReconcileJob,
  deps: ResolveJobDeps,
): Promise<ResolvedJob | ResolvedFilesJob | SkippedJob> {
  const repo = deps.registry.lookup(job.repo);
  if (!repo) return { kind: 'skip', reason: `repository ${job.repo} is no longer configured` };
  const gitHost = deps.gitHostFor(repo);
  const sha = await gitHost.branchHead(repo.ref, job.branch);
  const tree = await gitHost.treeAt(repo.ref, sha);
  const config = await loadRepoConfig(tree);
  if (!config) {
    return { kind: 'skip', reason: `no plumbline.yaml at ${sha.slice(0, 7)} of ${job.branch}` };
  }
  const app = config.apps.find((a) => a.name === job.app);
  if (!app) {
    return {
      kind: 'skip',
      reason: `app '${job.app}' is not in plumbline.yaml at ${sha.slice(0, 7)}`,
    };
  }
  if (app.branch !== job.branch) {
    return {
      kind: 'skip',
      reason: `app '${job.app}' now tracks branch ${app.branch}, not ${job.branch}`,
    };
  }
  if (app.kind === 'files') return { kind: 'files', repo, gitHost, sha, tree, config, app };
  return { kind: 'ready', repo, gitHost, sha, tree, config, app, target: targetOf(config, app) };
}
