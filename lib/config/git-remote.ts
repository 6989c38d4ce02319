/**
 * Where a repository that is not on GitHub lives: an absolute local path, or a Git remote
 * over HTTPS or SSH (`https://host/team/site.git`, `ssh://git@host/team/site.git`,
 * `git@host:team/site.git`). The operator writes it in the runtime settings
 * (`repositories[].url`); it is checked here once, so the Git adapter is only ever handed a
 * location it can pass to `git` as a plain argument: nothing that `git` would read as an
 * option (`-...`) or a helper transport (`ext::sh -c ...`), no password in the URL (it would
 * show in logs and process lists), no cloud metadata address, and plain `http://` only on
 * loopback (anything else could be altered in transit).
 */
import { isLinkLocalHost } from './server-address.ts';

/** How a Git source is reached. */
export type GitRemoteKind = 'local' | 'https' | 'http' | 'ssh';

/** A checked location. */
export interface GitRemote {
  kind: GitRemoteKind;
  /** The location as given (a path or URL without a password). */
  url: string;
  /** The host, for remotes (`undefined` for local paths). */
  host?: string;
}

const MAX_LENGTH = 2048;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\x00-\x1f\x7f]/;
/** `[user@]host:path`, the scp-like SSH syntax (a ':' before any '/'). */
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** Why `value` is not a usable Git source location, or `undefined` when it is one. */
export function gitRemoteProblem(value: string): string | undefined {
  const remote = parse(value);
  return typeof remote === 'string' ? remote : undefined;
}

/** The checked location; throws `TypeError` with the problem when it is not one. */
export function parseGitRemote(value: string): GitRemote {
  const remote = parse(value);
  if (typeof remote === 'string') throw new TypeError(remote);
  return remote;
}

const EXAMPLES =
  "an absolute path ('/srv/git/site') or a Git URL ('https://git.example.com/team/site.git', 'ssh://git@git.example.com/team/site.git', 'git@git.example.com:team/site.git')";

function parse(value: string): GitRemote | string {
  if (value.length === 0 || value.length > MAX_LENGTH) {
    return `must be ${EXAMPLES}, at most ${MAX_LENGTH} characters`;
  }
  if (CONTROL.test(value)) return 'must not contain control characters or line breaks';
  if (value.startsWith('-')) return `must not start with '-' (git would read it as an option)`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(value)) {
    return `must not name a git remote helper ('<transport>::'): use ${EXAMPLES}`;
  }
  if (value.startsWith('/')) {
    if (value.split('/').some((segment) => segment === '..')) {
      return "must be an absolute path without '..' segments";
    }
    return { kind: 'local', url: value };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(value);
    if (scp && !value.includes('\\')) {
      const host = scp[2] as string;
      if (isLinkLocalHost(host)) return 'names a link-local or cloud metadata host';
      return { kind: 'ssh', url: value, host };
    }
    return `must be ${EXAMPLES}; a relative path is not one`;
  }
  if (scheme === 'file') return 'must be an absolute path, not a file:// URL';
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh') {
    return `must use https, ssh or a local path, not ${scheme}:// (${EXAMPLES})`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL; use ${EXAMPLES}`;
  }
  if (url.password !== '') {
    return 'must not contain a password: name a runtime secret in httpAuth.passwordSecret instead';
  }
  if ((scheme === 'https' || scheme === 'http') && url.username !== '') {
    return 'must not contain a user name: give it in httpAuth.username';
  }
  if (url.search !== '' || url.hash !== '') return 'must not have a query or a fragment';
  if (url.hostname === '') return 'must name a host';
  if (isLinkLocalHost(url.hostname)) return 'names a link-local or cloud metadata host';
  if (scheme === 'http' && !LOOPBACK.test(url.hostname)) {
    return 'uses plain http:// to a host other than loopback: use https:// (or ssh)';
  }
  return { kind: scheme, url: value, host: url.hostname };
}

/**
 * The `owner/name` a location suggests, for a repository entry that gives none: the last two
 * path segments of a remote (`team/site` for `.../team/site.git`), or `local/<directory>` for
 * a local path. `undefined` when they do not make a valid name.
 */
export function suggestedRepoName(remote: GitRemote): string | undefined {
  const path =
    remote.kind === 'local'
      ? remote.url
      : remote.kind === 'ssh' && !remote.url.includes('://')
        ? remote.url.slice(remote.url.indexOf(':') + 1)
        : new URL(remote.url).pathname;
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/\.git$/, ''))
    .filter((segment) => segment !== '');
  const name = segments.at(-1);
  const owner = remote.kind === 'local' ? 'local' : segments.at(-2);
  if (name === undefined || owner === undefined) return undefined;
  const full = `${owner}/${name}`;
  return /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(full) &&
    name !== '.' &&
    name !== '..'
    ? full
    : undefined;
}
