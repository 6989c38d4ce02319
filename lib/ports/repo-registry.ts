/**
 * `RepoRegistry`: which repositories this deployment serves, and how to reach each. Webhooks
 * from any other repository are refused (answered, and nothing done), whatever their
 * signature: a shared secret must not let one repository deploy through another's config.
 */

import { ConfigError } from '../errors.ts';
import type { RepoRef } from './git-host.ts';
import { parseRepoFullName } from './git-host.ts';
import type { GitSourceSetting } from './git-source.ts';

/** A repository this deployment serves. */
export interface RegisteredRepo {
  /** Canonical `owner/name` as configured. */
  fullName: string;
  ref: RepoRef;
  /** GitHub App installation to authenticate as, when the runtime uses an App. */
  installationId?: number;
  /**
   * The branch whose `plumbline.yaml` the operator trusts; absent: the repository's default
   * branch, as the Git host says at each read.
   */
  trustedBranch?: string;
  /** The SOPS keys this repository's files may be opened with (none when absent). */
  sops?: { ageKeys: readonly string[]; kmsKeys: readonly string[] };
  /**
   * Present when the repository is read with Git from a path or URL (polled, no webhooks)
   * instead of from GitHub: its outcomes go to the logs and the history, not to GitHub.
   */
  git?: GitSourceSetting;
}

/** Looks up repositories by full name (case-insensitively, as GitHub does). */
export interface RepoRegistry {
  lookup(fullName: string): RegisteredRepo | undefined;
  /** Every registered repository (for the sweep and the status page). */
  all(): RegisteredRepo[];
}

/**
 * The registered GitHub repository `fullName`, for a GitHub webhook: a Git source of the same
 * name is not one (it is polled, and a delivery naming it says nothing about it).
 */
export function githubRepo(registry: RepoRegistry, fullName: string): RegisteredRepo | undefined {
  const repo = registry.lookup(fullName);
  return repo?.git === undefined ? repo : undefined;
}

/** A registry fixed at start-up, from the runtime settings. */
export class StaticRepoRegistry implements RepoRegistry {
  readonly #repos = new Map<string, RegisteredRepo>();

  /** Throws on a name that is not `owner/name`, so a typo in the settings fails at start-up. */
  constructor(repos: (string | Omit<RegisteredRepo, 'ref'>)[]) {
    for (const entry of repos) {
      const repo = typeof entry === 'string' ? { fullName: entry } : entry;
      const ref = parseRepoFullName(repo.fullName);
      if (!ref) {
        throw new ConfigError(`repositories: '${repo.fullName}' is not of the form owner/name`, {
          hint: 'List repositories as owner/name, e.g. acme/deploy.',
        });
      }
      this.#repos.set(repo.fullName.toLowerCase(), {
        fullName: repo.fullName,
        ref,
        ...(repo.installationId === undefined ? {} : { installationId: repo.installationId }),
        ...(repo.trustedBranch === undefined ? {} : { trustedBranch: repo.trustedBranch }),
        ...(repo.sops === undefined
          ? {}
          : { sops: { ageKeys: [...repo.sops.ageKeys], kmsKeys: [...repo.sops.kmsKeys] } }),
        ...(repo.git === undefined ? {} : { git: { ...repo.git } }),
      });
    }
  }

  lookup(fullName: string): RegisteredRepo | undefined {
    return this.#repos.get(fullName.toLowerCase());
  }

  all(): RegisteredRepo[] {
    return [...this.#repos.values()];
  }
}
