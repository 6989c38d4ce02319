/**
 * `plumbline serve` in-process for one repository, as the end-to-end and fault suites start it:
 * a Git repository served by the GitHub test server, and a Node runtime that takes that
 * repository's webhooks and deploys through one binding (`test`) to the test cluster.
 */
import { nodeReconciler } from '../../functions/node/reconciler.ts';
import { DEFAULT_SETTINGS } from '../../functions/node/settings.ts';
import {
  type NodeRuntime,
  type NodeRuntimeOptions,
  startNodeRuntime,
} from '../../functions/node.ts';
import type { RunJob } from '../../lib/jobs/job-context.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import { TestGitRepo } from '../github-server/git-repo.ts';
import { type GitHubServer, startGitHubServer } from '../github-server/server.ts';
import type { TestCluster } from './control-plane.ts';
import { type TestTargetScope, testTargetBinding } from './target-config.ts';

/** What differs between the suites that start one. */
export interface RepoRuntimeOptions {
  cluster: TestCluster;
  /** `owner/name`, the only repository the runtime serves. */
  repo: string;
  webhookSecret: string;
  githubToken: string;
  /** The name of the secret holding the cluster's admin token, which the binding names. */
  tokenSecret: string;
  /** Who may use the binding (default: every repository and namespace, cluster objects too). */
  scope?: TestTargetScope;
  /** Default: the reconciler `plumbline serve` runs. */
  runJob?: RunJob;
  logger: Logger;
  retry?: NodeRuntimeOptions['retry'];
}

/** The running pieces, and how to stop them all. */
export interface RepoRuntime {
  git: TestGitRepo;
  github: GitHubServer;
  runtime: NodeRuntime;
  /** Stops the runtime, then the GitHub server, and removes the repository. */
  close(): Promise<void>;
}

/** Starts the GitHub server and the runtime; stops what it started if either fails. */
export async function startRepoRuntime(options: RepoRuntimeOptions): Promise<RepoRuntime> {
  const git = TestGitRepo.create();
  let github: GitHubServer | undefined;
  try {
    github = await startGitHubServer({
      repos: { [options.repo]: git },
      token: options.githubToken,
    });
    const runtime = await startNodeRuntime({
      settings: {
        ...DEFAULT_SETTINGS,
        port: 0,
        webhookSecrets: [options.webhookSecret],
        repositories: [{ fullName: options.repo }],
        targets: [testTargetBinding(options.cluster, 'test', options.tokenSecret, options.scope)],
        githubApiUrl: github.url,
        githubToken: options.githubToken,
        secrets: { [options.tokenSecret]: options.cluster.admin.token },
      },
      runJob: options.runJob ?? nodeReconciler(),
      logger: options.logger,
      ...(options.retry ? { retry: options.retry } : {}),
    });
    const server = github;
    return {
      git,
      github: server,
      runtime,
      async close() {
        await runtime.close();
        await server.close();
        git.remove();
      },
    };
  } catch (error) {
    await github?.close();
    git.remove();
    throw error;
  }
}
