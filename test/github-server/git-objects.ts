/**
 * GitHub REST representations (commit, branch, comparison, tree, blob, diff entries) built
 * from a real git repository. Shapes follow GitHub's OpenAPI description; the contract tests
 * in `test/tools/github-server/` check every one against it.
 */
import type { TestGitRepo } from './git-repo.ts';

/** Where a repository is served, for the URLs inside responses. */
export interface RepoLocation {
  /** The server's base URL, without a trailing slash. */
  baseUrl: string;
  owner: string;
  repo: string;
}

type Json = Record<string, unknown>;

/** GitHub lists at most this many files in a comparison or a commit. */
export const MAX_FILES = 300;
/** GitHub lists at most this many commits in a comparison. */
export const MAX_COMMITS = 250;

function apiUrl(loc: RepoLocation, rest: string): string {
  return `${loc.baseUrl}/repos/${loc.owner}/${loc.repo}/${rest}`;
}

function htmlUrl(loc: RepoLocation, rest: string): string {
  return `${loc.baseUrl}/${loc.owner}/${loc.repo}/${rest}`;
}

function nodeId(kind: string, id: string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

/** The full sha of the commit `ref` names, or `undefined`. */
export function resolveCommit(git: TestGitRepo, ref: string): string | undefined {
  if (ref.startsWith('-')) return undefined;
  const candidates = /^[0-9a-f]{4,40}$/.test(ref)
    ? [ref]
    : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
  for (const candidate of candidates) {
    const sha = git.tryGit(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`])?.trim();
    if (sha) return sha;
  }
  return undefined;
}

/** One file of a diff, as GitHub's `diff-entry`. */
export function diffEntries(
  git: TestGitRepo,
  loc: RepoLocation,
  from: string | undefined,
  to: string,
): Json[] {
  const range = from ? [from, to] : ['--root', '--no-commit-id', to];
  const command = from ? 'diff' : 'diff-tree';
  const raw = git.git([command, '-r', '-z', '-M', '--raw', '--no-abbrev', ...range]).split('\0');
  const numstat = git.git([command, '-r', '-z', '-M', '--numstat', ...range]).split('\0');
  const counts = new Map<string, { additions: number; deletions: number }>();
  for (let i = 0; i < numstat.length; i += 1) {
    const record = numstat[i] as string;
    const match = /^(?:[0-9a-f]{40}\n?)?(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (!match) continue;
    let path = match[3] as string;
    if (path === '') {
      // A rename: the old and new paths follow as two records.
      path = numstat[i + 2] as string;
      i += 2;
    }
    counts.set(path, {
      additions: match[1] === '-' ? 0 : Number(match[1]),
      deletions: match[2] === '-' ? 0 : Number(match[2]),
    });
  }
  const entries: Json[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    const record = raw[i] as string;
    const match = /^:\d+ \d+ ([0-9a-f]{40}) ([0-9a-f]{40}) ([A-Z])\d*$/.exec(
      record.replace(/^[0-9a-f]{40}\n?/, ''),
    );
    if (!match) continue;
    const letter = match[3] as string;
    const renamed = letter === 'R' || letter === 'C';
    const previous = renamed ? (raw[i + 1] as string) : undefined;
    const path = renamed ? (raw[i + 2] as string) : (raw[i + 1] as string);
    i += renamed ? 2 : 1;
    const status =
      { A: 'added', D: 'removed', M: 'modified', R: 'renamed', C: 'copied', T: 'changed' }[
        letter
      ] ?? 'changed';
    const blob = status === 'removed' ? (match[1] as string) : (match[2] as string);
    const { additions, deletions } = counts.get(path) ?? { additions: 0, deletions: 0 };
    const ref = status === 'removed' ? (from ?? to) : to;
    entries.push({
      sha: blob,
      filename: path,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: htmlUrl(loc, `blob/${ref}/${encodeURI(path)}`),
      raw_url: htmlUrl(loc, `raw/${ref}/${encodeURI(path)}`),
      contents_url: apiUrl(loc, `contents/${encodeURI(path)}?ref=${ref}`),
      ...(previous === undefined ? {} : { previous_filename: previous }),
    });
  }
  return entries;
}

/** A commit, as GitHub's `commit` schema; `withFiles` adds `stats` and `files`. */
export function commitJson(
  git: TestGitRepo,
  loc: RepoLocation,
  sha: string,
  withFiles: boolean,
): Json {
  const fields = git
    .git([
      'show',
      '-s',
      '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B',
      sha,
    ])
    .split('\0');
  const [full, tree, parents, an, ae, ad, cn, ce, cd, message] = fields as string[];
  const parentShas = (parents as string).split(' ').filter((p) => p !== '');
  const iso = (date: string) => new Date(date).toISOString().replace('.000Z', 'Z');
  const json: Json = {
    url: apiUrl(loc, `commits/${full}`),
    sha: full,
    node_id: nodeId('Commit', full as string),
    html_url: htmlUrl(loc, `commit/${full}`),
    comments_url: apiUrl(loc, `commits/${full}/comments`),
    commit: {
      url: apiUrl(loc, `git/commits/${full}`),
      author: { name: an, email: ae, date: iso(ad as string) },
      committer: { name: cn, email: ce, date: iso(cd as string) },
      message: (message as string).replace(/\n+$/, ''),
      comment_count: 0,
      tree: { sha: tree, url: apiUrl(loc, `git/trees/${tree}`) },
      verification: {
        verified: false,
        reason: 'unsigned',
        payload: null,
        signature: null,
        verified_at: null,
      },
    },
    // Local commits match no GitHub account; GitHub answers null then.
    author: null,
    committer: null,
    parents: parentShas.map((p) => ({
      sha: p,
      url: apiUrl(loc, `commits/${p}`),
      html_url: htmlUrl(loc, `commit/${p}`),
    })),
  };
  if (withFiles) {
    const files = diffEntries(git, loc, parentShas[0], full as string);
    const additions = files.reduce((n, f) => n + (f.additions as number), 0);
    const deletions = files.reduce((n, f) => n + (f.deletions as number), 0);
    json.stats = { additions, deletions, total: additions + deletions };
    json.files = files.slice(0, MAX_FILES);
  }
  return json;
}

/** A branch, as GitHub's `branch-with-protection` schema (never protected here). */
export function branchJson(git: TestGitRepo, loc: RepoLocation, branch: string, sha: string): Json {
  return {
    name: branch,
    commit: commitJson(git, loc, sha, false),
    _links: {
      self: apiUrl(loc, `branches/${encodeURIComponent(branch)}`),
      html: htmlUrl(loc, `tree/${branch}`),
    },
    protected: false,
    protection: {
      enabled: false,
      required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
    },
    protection_url: apiUrl(loc, `branches/${encodeURIComponent(branch)}/protection`),
  };
}

/** A three-dot comparison, as GitHub's `commit-comparison` schema. */
export function comparisonJson(
  git: TestGitRepo,
  loc: RepoLocation,
  base: string,
  head: string,
): Json {
  const mergeBase = git.git(['merge-base', base, head]).trim();
  const count = (range: string) => Number(git.git(['rev-list', '--count', range]).trim());
  const ahead = count(`${mergeBase}..${head}`);
  const behind = count(`${mergeBase}..${base}`);
  const status =
    ahead === 0 && behind === 0
      ? 'identical'
      : behind === 0
        ? 'ahead'
        : ahead === 0
          ? 'behind'
          : 'diverged';
  const commits = git
    .git(['rev-list', '--reverse', `${mergeBase}..${head}`])
    .split('\n')
    .filter((s) => s !== '')
    .slice(0, MAX_COMMITS);
  const basehead = `${base}...${head}`;
  return {
    url: apiUrl(loc, `compare/${basehead}`),
    html_url: htmlUrl(loc, `compare/${basehead}`),
    permalink_url: htmlUrl(loc, `compare/${loc.owner}:${base}...${loc.owner}:${head}`),
    diff_url: htmlUrl(loc, `compare/${basehead}.diff`),
    patch_url: htmlUrl(loc, `compare/${basehead}.patch`),
    base_commit: commitJson(git, loc, base, false),
    merge_base_commit: commitJson(git, loc, mergeBase, false),
    status,
    ahead_by: ahead,
    behind_by: behind,
    total_commits: ahead,
    commits: commits.map((sha) => commitJson(git, loc, sha, false)),
    files: diffEntries(git, loc, mergeBase, head).slice(0, MAX_FILES),
  };
}

/** A tree, as GitHub's `git-tree` schema. `recursive` lists subtrees' contents too. */
export function treeJson(
  git: TestGitRepo,
  loc: RepoLocation,
  treeSha: string,
  recursive: boolean,
): Json {
  const lines = git
    .git(['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), treeSha])
    .split('\0')
    .filter((line) => line !== '');
  return {
    sha: treeSha,
    url: apiUrl(loc, `git/trees/${treeSha}`),
    tree: lines.map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/) as string[];
      const entry: Json = { path: line.slice(tab + 1), mode, type, sha };
      if (type === 'blob') {
        entry.size = Number(size);
        entry.url = apiUrl(loc, `git/blobs/${sha}`);
      } else if (type === 'tree') entry.url = apiUrl(loc, `git/trees/${sha}`);
      return entry;
    }),
    truncated: false,
  };
}

/** A blob, as GitHub's `blob` schema (base64 content). */
export function blobJson(git: TestGitRepo, loc: RepoLocation, sha: string): Json {
  const bytes = git.gitBytes(['cat-file', 'blob', sha]);
  return {
    sha,
    node_id: nodeId('Blob', sha),
    size: bytes.byteLength,
    url: apiUrl(loc, `git/blobs/${sha}`),
    // GitHub wraps base64 at 60 columns.
    content: `${(bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n')}\n`,
    encoding: 'base64',
  };
}

/** One entry of `git ls-tree -l`, or `undefined` when `path` is not in the commit. */
export function lsTreeEntry(
  git: TestGitRepo,
  commit: string,
  path: string,
): { mode: string; type: string; sha: string; size: number; path: string } | undefined {
  const line = git.tryGit(['ls-tree', '-z', '-l', commit, '--', path])?.split('\0')[0];
  if (!line) return undefined;
  const tab = line.indexOf('\t');
  const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/) as string[];
  return {
    mode: mode as string,
    type: type as string,
    sha: sha as string,
    size: Number(size) || 0,
    path: line.slice(tab + 1),
  };
}

/** A file, directory or symlink at `path` of `commit`, as GitHub's contents schemas. */
export function contentJson(
  git: TestGitRepo,
  loc: RepoLocation,
  commit: string,
  path: string,
): Json | Json[] | undefined {
  const entry = lsTreeEntry(git, commit, path);
  if (!entry) return undefined;
  const describe = (e: {
    mode: string;
    type: string;
    sha: string;
    size: number;
    path: string;
  }): Json => {
    const type =
      e.type === 'tree'
        ? 'dir'
        : e.type === 'commit'
          ? 'submodule'
          : e.mode === '120000'
            ? 'symlink'
            : 'file';
    const self = apiUrl(loc, `contents/${encodeURI(e.path)}?ref=${commit}`);
    const gitUrl = apiUrl(loc, `git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`);
    const html = htmlUrl(loc, `${type === 'dir' ? 'tree' : 'blob'}/${commit}/${encodeURI(e.path)}`);
    return {
      type,
      size: type === 'dir' ? 0 : e.size,
      name: e.path.slice(e.path.lastIndexOf('/') + 1),
      path: e.path,
      sha: e.sha,
      url: self,
      git_url: gitUrl,
      html_url: html,
      download_url: type === 'file' ? htmlUrl(loc, `raw/${commit}/${encodeURI(e.path)}`) : null,
      _links: { self, git: gitUrl, html },
    };
  };
  if (entry.type === 'tree') {
    const lines = git.git(['ls-tree', '-z', '-l', commit, '--', `${entry.path}/`]).split('\0');
    return lines
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/) as string[];
        return describe({
          mode: mode as string,
          type: type as string,
          sha: sha as string,
          size: Number(size) || 0,
          path: line.slice(tab + 1),
        });
      });
  }
  const json = describe(entry);
  if (json.type === 'symlink') {
    return { ...json, target: git.git(['cat-file', 'blob', entry.sha]) };
  }
  const blob = blobJson(git, loc, entry.sha);
  return { ...json, content: blob.content, encoding: 'base64' };
}
