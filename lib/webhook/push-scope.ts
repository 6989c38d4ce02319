/**
 * Which apps a push can affect, decided by the webhook from the push payload alone (no request
 * to GitHub or a cluster), so a push touching one app of 1,000 enqueues one job, not 1,000.
 *
 * The payload's per-commit file lists (`commits[].added/modified/removed`) are hints, read
 * conservatively; the job stays the authority (it renders the app and compares its digest with
 * the cluster's record). The rule, for the apps tracking the pushed branch:
 *
 * - a changed file under an app's `path` affects that app (every app whose path holds it:
 *   nested paths and apps sharing a path are all affected);
 * - `plumbline.yaml`, any `plumbline.lock.yaml`, and any file outside the path of every app
 *   tracking the branch (a shared base, a component, a chart, a README) affect every app;
 * - a listing that may be incomplete affects every app: a new branch (zero `before`,
 *   `created`), a force push, no `commits` (GitHub Actions' payloads carry no file lists), a
 *   commit count at GitHub's cap of 2,048, a commit without its three lists or listing no file
 *   at all (an empty commit, a merge GitHub lists nothing for: an empty commit is how to poke
 *   every app of a branch), no commits although the head moved, or anything not in GitHub's
 *   form (the payload is signed, yet still bounded and validated).
 *
 * Known gap, by design: a file under app B's path that app A's kustomization also reads
 * (`../b/...`) reaches only B; the job of A warns when its render reads another app's files,
 * (`borrowedFiles`), and the sweep deploys A (its head renders differently from what is applied).
 */
import * as z from 'zod';
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import type { AppConfig } from '../config/repo-config.ts';
import { ZERO_SHA } from '../flows/affected-apps.ts';
import { chartLockFile } from '../render/helm-lock.ts';

/** GitHub lists at most this many commits in a push payload: at the cap, the list may be cut. */
export const MAX_PUSH_COMMITS = 2048;

/** Most file paths read from one payload (all commits together); more: every app. */
export const MAX_LISTED_PATHS = 20_000;

/** The longest file path read (Git allows long ones; GitHub's tree API caps near 4,096 bytes). */
export const MAX_PATH_LENGTH = 4096;

const PathList = z.array(z.string().max(MAX_PATH_LENGTH)).max(MAX_LISTED_PATHS);

/** One pushed commit as the webhook reads it; other fields are ignored. */
const PushedCommitSchema = z.object({
  added: PathList,
  modified: PathList,
  removed: PathList,
});

/** The commits of a push, bounded (one past the cap still parses: it is the cap that counts). */
const PushedCommitsSchema = z.array(PushedCommitSchema).max(MAX_PUSH_COMMITS + 1);

/** What a push changed, as far as its payload tells. */
export type PushScope =
  | { kind: 'listed'; paths: ReadonlySet<string> }
  | { kind: 'unlisted'; reason: string };

/** The fields of a push payload the scope is read from. */
export interface PushFacts {
  before: string;
  after: string;
  created?: boolean | undefined;
  forced?: boolean | undefined;
  /** `commits` as delivered: validated here, never trusted. */
  commits?: unknown;
}

/** A repository path in Git's form: relative, `/`-separated, no empty, `.` or `..` segment. */
function isRepoPath(path: string): boolean {
  if (path === '' || path.includes('\0') || path.includes('\\')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The files a push changed, from its payload, or why they cannot be known from it. */
export function pushScope(push: PushFacts): PushScope {
  if (push.before === ZERO_SHA || push.created === true) {
    return { kind: 'unlisted', reason: 'new branch: no previous commit to compare with' };
  }
  if (push.forced === true)
    return { kind: 'unlisted', reason: 'force push: history was rewritten' };
  if (push.commits === undefined || push.commits === null) {
    return { kind: 'unlisted', reason: 'the delivery lists no commits' };
  }
  if (
    Array.isArray(push.commits) &&
    push.commits.some(
      (c) =>
        typeof c === 'object' && c !== null && !('added' in c || 'modified' in c || 'removed' in c),
    )
  ) {
    return { kind: 'unlisted', reason: 'the commits carry no file lists (as in GitHub Actions)' };
  }
  const parsed = PushedCommitsSchema.safeParse(push.commits);
  if (!parsed.success) {
    return { kind: 'unlisted', reason: 'the commit list is not in GitHub’s form' };
  }
  const commits = parsed.data;
  if (commits.length >= MAX_PUSH_COMMITS) {
    return {
      kind: 'unlisted',
      reason: `${commits.length} commits: GitHub lists at most ${MAX_PUSH_COMMITS}, so the list may be cut`,
    };
  }
  if (commits.length === 0 && push.before !== push.after) {
    return { kind: 'unlisted', reason: 'the branch moved but no commit is listed' };
  }
  const paths = new Set<string>();
  let listed = 0;
  for (const commit of commits) {
    const files = [...commit.added, ...commit.modified, ...commit.removed];
    if (files.length === 0) {
      return { kind: 'unlisted', reason: 'a commit lists no file (an empty or merge commit)' };
    }
    listed += files.length;
    if (listed > MAX_LISTED_PATHS) {
      return { kind: 'unlisted', reason: `more than ${MAX_LISTED_PATHS} files listed` };
    }
    for (const path of files) {
      if (!isRepoPath(path)) {
        return { kind: 'unlisted', reason: 'a listed file is not a repository path' };
      }
      paths.add(path);
    }
  }
  return { kind: 'listed', paths };
}

/** Files whose change reaches every app, wherever it sits. */
function isEveryAppsFile(path: string): boolean {
  return path === REPO_CONFIG_FILE || path === chartLockFile || path.endsWith(`/${chartLockFile}`);
}

/** The apps a push can affect, out of those tracking its branch, and why. */
export interface PushSelection<A extends AppConfig = AppConfig> {
  /** The apps to enqueue a job for, in configuration order. */
  affected: A[];
  /** The apps no listed file can reach. */
  untouched: A[];
  /** Why: every app (and the reason), or how the affected ones were chosen. */
  reason: string;
}

/**
 * Applies the rule above to `apps` (those tracking the pushed branch): never narrower than
 * the files listed allow, and every app when the listing may be incomplete.
 */
export function selectApps<A extends AppConfig>(
  apps: readonly A[],
  scope: PushScope,
): PushSelection<A> {
  const every = (reason: string): PushSelection<A> => ({
    affected: [...apps],
    untouched: [],
    reason,
  });
  if (scope.kind === 'unlisted') return every(scope.reason);
  // Apps by their path: a file's owners are found by walking up its directories (linear in
  // the listed paths' length, however many apps), not by testing every app against it.
  const byPath = new Map<string, A[]>();
  for (const app of apps) {
    const sharing = byPath.get(app.path);
    if (sharing) sharing.push(app);
    else byPath.set(app.path, [app]);
  }
  const chosen = new Set<A>();
  for (const path of scope.paths) {
    if (isEveryAppsFile(path)) return every(`${path} changed`);
    let owned = false;
    for (let dir = path; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/')))) {
      for (const owner of byPath.get(dir) ?? []) {
        chosen.add(owner);
        owned = true;
      }
      if (dir === '') break;
    }
    if (!owned) return every(`${path} is outside every app's path`);
  }
  return {
    affected: apps.filter((app) => chosen.has(app)),
    untouched: apps.filter((app) => !chosen.has(app)),
    reason: `${scope.paths.size} changed file${scope.paths.size === 1 ? '' : 's'} under the paths of ${chosen.size} app${chosen.size === 1 ? '' : 's'}`,
  };
}
