/**
 * The Worker's `GitHost` per repository: Octokit with a token, or as a GitHub App
 * installation (`@octokit/auth-app`, whose JWT is signed with WebCrypto on Workers). One
 * client per installation, so trees read by the webhook and the jobs share a cache.
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { ConfigError } from '../../lib/errors.ts';
import { OctokitGitHost } from '../../lib/github/octokit-git-host.ts';
import type { GitHost } from '../../lib/ports/git-host.ts';
import type { Logger } from '../../lib/ports/logger.ts';
import type { RegisteredRepo } from '../../lib/ports/repo-registry.ts';
import type { GitHubAuth } from './settings.ts';

/** A repository's archive is held in memory, and a Worker has 128 MB in all. */
export const WORKER_MAX_ARCHIVE_BYTES = 48 * 1024 * 1024;

/** How GitHub is reached. */
export interface GitHubClientOptions {
  apiUrl: string;
  auth: GitHubAuth;
  logger: Logger;
}

/** Returns `gitHostFor(repo)`, creating one client per credential on first use. */
export function githubHosts(options: GitHubClientOptions): (repo: RegisteredRepo) => GitHost {
  const hosts = new Map<string, GitHost>();
  const log = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => options.logger.log('warn', message),
    error: (message: string) => options.logger.log('error', message),
  };
  const base = { baseUrl: options.apiUrl, userAgent: 'plumbline', log };
  return (repo) => {
    const auth = options.auth;
    if (auth.kind === 'app' && repo.installationId === undefined) {
      throw new ConfigError(
        `PLUMBLINE_REPOSITORIES: ${repo.fullName} has no installationId, which a GitHub App needs`,
        {
          hint: 'List it as {"fullName": "owner/name", "installationId": N}; N is in the App installation URL.',
        },
      );
    }
    const key = auth.kind === 'app' ? `app:${repo.installationId}` : auth.kind;
    let host = hosts.get(key);
    if (!host) {
      const octokit =
        auth.kind === 'app'
          ? new Octokit({
              ...base,
              authStrategy: createAppAuth,
              auth: {
                appId: auth.appId,
                privateKey: auth.privateKey,
                installationId: repo.installationId,
              },
            })
          : new Octokit({ ...base, ...(auth.kind === 'token' ? { auth: auth.token } : {}) });
      host = new OctokitGitHost({ octokit, maxArchiveBytes: WORKER_MAX_ARCHIVE_BYTES });
      hosts.set(key, host);
    }
    return host;
  };
}
