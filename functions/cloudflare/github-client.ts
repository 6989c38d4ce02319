/**
 * The Worker's `GitHost` per repository: Octokit with a token (one client shared by every
 * repository), or as a GitHub App installation with a token scoped to each repository
 * (`installationOctokit`: the JWT is signed with WebCrypto, PKCS#1 keys are rewrapped). The
 * webhook and the jobs of one isolate share these clients, and so their caches.
 */
import { Octokit } from '@octokit/rest';
import { installationOctokit } from '../../lib/github/app-auth.ts';
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
    const key = auth.kind === 'app' ? repo.fullName : auth.kind;
    let host = hosts.get(key);
    if (!host) {
      const octokit =
        auth.kind === 'app'
          ? installationOctokit({
              app: { appId: auth.appId, privateKey: auth.privateKey },
              repo: repo.ref,
              baseUrl: options.apiUrl,
              ...(repo.installationId !== undefined ? { installationId: repo.installationId } : {}),
              log: { warn: log.warn, error: log.error },
            })
          : new Octokit({ ...base, ...(auth.kind === 'token' ? { auth: auth.token } : {}) });
      host = new OctokitGitHost({ octokit, maxArchiveBytes: WORKER_MAX_ARCHIVE_BYTES });
      hosts.set(key, host);
    }
    return host;
  };
}
