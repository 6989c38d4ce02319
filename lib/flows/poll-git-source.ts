/**
 * Polling a Git source: what a push webhook does for GitHub, for a repository that sends
 * none (a local path, a remote behind a firewall). Each poll reads every branch head in one
 * request; when none moved, that is all it costs. A branch that moved gets one reconcile job
 * per trusted app tracking it, with the previous head as the `since` hint, exactly as a push
 * delivery would; the first poll after start-up enqueues every app without a hint (their
 * rendered digests decide, so nothing unchanged is applied again).
 */
import { appsTracking, loadTrustedConfig } from '../config/trusted-config.ts';
import { ConfigError, messageOf } from '../errors.ts';
import type { ReconcileJob } from '../jobs/job.ts';
import type { GitSource, PolledGitSource, RemoteHeads, RepoRef } from '../ports/git-source.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue } from '../ports/queue.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';

/**
 * How the delivery ids of the jobs a poll enqueues begin (`poll-<time>`): the history reads the
 * trigger `poll` from it.
 */
export const POLL_DELIVERY_PREFIX = 'poll-';

/** What a poll did. */
export type PollOutcome =
  | { status: 'unchanged' }
  | { status: 'enqueued'; branches: string[]; apps: string[] }
  | { status: 'no-config' | 'invalid-config' | 'unreachable'; reason: string };

/** Polls one Git source, remembering the heads it last saw. */
export class GitSourcePoller {
  readonly #repo: RegisteredRepo;
  readonly #source: PolledGitSource;
  readonly #queue: Pick<Queue<ReconcileJob>, 'send'>;
  readonly #logger: Logger;
  #seen: Map<string, string> | undefined;
  /** The last problem logged, so a source that stays down is not logged at every poll. */
  #problem: string | undefined;

  constructor(options: {
    repo: RegisteredRepo;
    source: PolledGitSource;
    queue: Pick<Queue<ReconcileJob>, 'send'>;
    logger: Logger;
  }) {
    this.#repo = options.repo;
    this.#source = options.source;
    this.#queue = options.queue;
    this.#logger = options.logger;
  }

  /** Reads the heads and enqueues jobs for the apps tracking a branch that moved. */
  async poll(pollId: string): Promise<PollOutcome> {
    const repo = this.#repo;
    let heads: RemoteHeads;
    try {
      heads = await this.#source.heads();
    } catch (error) {
      return this.#trouble('unreachable', messageOf(error));
    }
    const seen = this.#seen;
    const moved = [...heads.branches].filter(([branch, sha]) => seen?.get(branch) !== sha);
    if (seen !== undefined && moved.length === 0) return { status: 'unchanged' };
    // The trusted configuration at these very heads: no second round trip, one consistent view.
    let apps: { app: string; branch: string }[];
    try {
      const trusted = await loadTrustedConfig(repo, atHeads(this.#source, heads));
      if (!trusted) {
        this.#seen = heads.branches;
        return this.#trouble(
          'no-config',
          `no plumbline.yaml on the trusted branch of ${repo.fullName} (${this.#source.location})`,
        );
      }
      apps = moved.flatMap(([branch]) =>
        appsTracking(trusted, branch).map((app) => ({ app: app.name, branch })),
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) return this.#trouble('unreachable', messageOf(error));
      // Remembered: the file is read again when a new commit arrives.
      this.#seen = heads.branches;
      return this.#trouble('invalid-config', messageOf(error));
    }
    this.#problem = undefined;
    for (const { app, branch } of apps) {
      const since = seen?.get(branch);
      await this.#queue.send({
        kind: 'reconcile',
        repo: repo.fullName,
        app,
        branch,
        deliveryId: pollId,
        ...(since ? { since } : {}),
      });
    }
    this.#seen = heads.branches;
    const branches = moved.map(([branch]) => branch);
    this.#logger.log('info', 'poll: new commits', {
      repo: repo.fullName,
      branches,
      apps: apps.map((a) => a.app),
    });
    return { status: 'enqueued', branches, apps: apps.map((a) => a.app) };
  }

  #trouble(status: 'no-config' | 'invalid-config' | 'unreachable', reason: string): PollOutcome {
    if (reason !== this.#problem) {
      this.#logger.log(status === 'no-config' ? 'warn' : 'error', `poll: ${reason}`, {
        repo: this.#repo.fullName,
        status,
      });
    }
    this.#problem = reason;
    return { status, reason };
  }
}

/** `source` answering branch questions from `heads`, read once for the whole poll. */
function atHeads(source: GitSource, heads: RemoteHeads): GitSource {
  return {
    defaultBranch: async (repo: RepoRef) =>
      heads.defaultBranch !== undefined && heads.branches.has(heads.defaultBranch)
        ? heads.defaultBranch
        : source.defaultBranch(repo),
    branchHead: async (repo: RepoRef, branch: string) =>
      heads.branches.get(branch) ?? source.branchHead(repo, branch),
    treeAt: (repo, sha) => source.treeAt(repo, sha),
    readFile: (repo, sha, path) => source.readFile(repo, sha, path),
    compare: (repo, base, head) => source.compare(repo, base, head),
  };
}
