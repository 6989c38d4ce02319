/**
 * The Git sources of the Node runtime: one `GitCliSource` per repository that the settings
 * give a `url`, sharing a cache directory of bare repositories (Plumbline's own copies, safe
 * to delete: they are fetched again).
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { type RuntimeSettings, secretKey } from '../../lib/config/runtime-settings.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { RegisteredRepo } from '../../lib/ports/repo-registry.ts';
import { GitCliSource } from './git-cli-source.ts';

/**
 * Where Git sources are cached: `PLUMBLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/plumbline`,
 * else `~/.cache/plumbline` (the XDG default), with `git/` below it.
 */
export function gitCacheDirectory(env: Record<string, string | undefined>): string {
  if (env.PLUMBLINE_CACHE_DIR) return join(resolve(env.PLUMBLINE_CACHE_DIR), 'git');
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'plumbline', 'git');
  return join(env.HOME || homedir(), '.cache', 'plumbline', 'git');
}

/**
 * The source of each Git repository of `settings` (created on first use, then kept, so its
 * tree cache serves every job). Throws `ConfigError` for a repository that is not a Git
 * source, or whose `httpAuth` names a secret the settings do not hold.
 */
export function gitSourcesFor(
  settings: Pick<RuntimeSettings, 'secrets'>,
  cacheDir: string,
): (repo: RegisteredRepo) => GitCliSource {
  const secrets = new Map(
    Object.entries(settings.secrets).map(([name, value]) => [secretKey(name), value]),
  );
  const sources = new Map<string, GitCliSource>();
  return (repo) => {
    let source = sources.get(repo.fullName);
    if (source) return source;
    if (!repo.git) {
      throw new ConfigError(`repositories: ${repo.fullName} is not a Git source (no url)`);
    }
    const auth = repo.git.httpAuth;
    const httpPassword = auth ? secrets.get(secretKey(auth.passwordSecret)) : undefined;
    if (auth && httpPassword === undefined) {
      throw new ConfigError(
        `repositories: ${repo.fullName}: httpAuth.passwordSecret names '${auth.passwordSecret}', which the settings do not hold`,
        {
          hint: `Set PLUMBLINE_SECRET_${secretKey(auth.passwordSecret)}, or add it under secrets in the settings file.`,
        },
      );
    }
    const ssh = repo.git.ssh;
    const sshPrivateKey = ssh ? secrets.get(secretKey(ssh.privateKeySecret)) : undefined;
    if (ssh && sshPrivateKey === undefined) {
      throw new ConfigError(
        `repositories: ${repo.fullName}: ssh.privateKeySecret names '${ssh.privateKeySecret}', which the settings do not hold`,
        {
          hint: `Set PLUMBLINE_SECRET_${secretKey(ssh.privateKeySecret)}, or add it under secrets in the settings file.`,
        },
      );
    }
    source = new GitCliSource({
      name: repo.fullName,
      source: repo.git,
      cacheDir,
      ...(httpPassword === undefined ? {} : { httpPassword }),
      ...(sshPrivateKey === undefined ? {} : { sshPrivateKey }),
    });
    sources.set(repo.fullName, source);
    return source;
  };
}
