/**
 * Change detection: which apps a change between two commits affects. An app is affected when
 * a changed file belongs to its dependency set (every file its render read at the new head,
 * bases and components included), when a changed file sits in a directory the render read
 * from (a deleted manifest is no longer read, yet its removal changes the app), or when its
 * trusted `plumbline.yaml` entry changed (compared only when the head being deployed is the
 * trusted head: another branch's copy of the file decides nothing). When the change cannot be
 * listed (no base, a force push, more files than the compare API lists) every app is
 * affected: correctness never depends on an incomplete list. None of this touches a cluster.
 */
import { REPO_CONFIG_FILE } from '../config/parse-repo-config.ts';
import type { AppConfig, RepoConfig } from '../config/repo-config.ts';
import { readRepoConfig, type TrustedConfig } from '../config/trusted-config.ts';
import { ConfigError } from '../errors.ts';
import type { ChangedFile, Comparison, GitSource, RepoRef } from '../ports/git-source.ts';
import type { RenderResult } from '../render/index.ts';
import { isWithin } from '../render/loader.ts';
import { dirname } from '../source/file-tree.ts';

/** The all-zero sha GitHub sends as `before` when a branch is created. */
export const ZERO_SHA = '0'.repeat(40);

/** The change to judge: from `base` (absent: unknown) to `head`. */
export interface ChangeRange {
  base?: string;
  head: string;
  /** A force push: `base` may not be an ancestor, so its diff says nothing about the head. */
  forced?: boolean;
}

/** What changed, or why it cannot be known. */
export type ChangedFiles =
  | {
      kind: 'listed';
      paths: Set<string>;
      comparison: Comparison;
      /**
       * The trusted configuration at the base, when the change is on the trusted branch and
       * touched `plumbline.yaml` (`base` is `undefined` when it was absent or invalid there).
       */
      config?: { base: RepoConfig | undefined };
    }
  | { kind: 'unknown'; reason: string };

/** Whether one app is affected, and why (for logs and reports). */
export interface AppImpact {
  app: AppConfig;
  affected: boolean;
  reason: string;
}

/**
 * Lists the files changed in `range` with the compare API, or says why the change cannot be
 * listed. When `trusted` is the configuration at `range.head` (the head deployed is the
 * trusted branch's) and `plumbline.yaml` changed, the base's configuration is read too (one
 * small bounded request), so entries can be compared.
 */
export async function changedFiles(
  gitHost: GitSource,
  repo: RepoRef,
  range: ChangeRange,
  trusted?: TrustedConfig,
): Promise<ChangedFiles> {
  if (range.base === undefined || range.base === ZERO_SHA) {
    return { kind: 'unknown', reason: 'new branch: no previous commit to compare with' };
  }
  if (range.forced) return { kind: 'unknown', reason: 'force push: history was rewritten' };
  const comparison =
    range.base === range.head
      ? { base: range.base, head: range.head, files: [], truncated: false }
      : await gitHost.compare(repo, range.base, range.head);
  if (comparison.truncated) {
    return {
      kind: 'unknown',
      reason: `more than ${comparison.files.length} files changed: the list is incomplete`,
    };
  }
  const paths = pathsOf(comparison.files);
  if (trusted?.sha !== range.head || !paths.has(REPO_CONFIG_FILE)) {
    return { kind: 'listed', paths, comparison };
  }
  let base: RepoConfig | undefined;
  try {
    base = await readRepoConfig(gitHost, repo, range.base, trusted.branch);
  } catch (error) {
    // An invalid configuration counts as none: every entry of the head is new to it.
    if (!(error instanceof ConfigError)) throw error;
  }
  return { kind: 'listed', paths, comparison, config: { base } };
}

function pathsOf(files: readonly ChangedFile[]): Set<string> {
  const paths = new Set<string>();
  for (const file of files) {
    paths.add(file.path);
    if (file.previousPath) paths.add(file.previousPath);
  }
  return paths;
}

/** The entry of `app` in `config`, as comparable text. */
function entryOf(config: RepoConfig | undefined, app: AppConfig): string | undefined {
  const entry = config?.apps.find((a) => a.name === app.name);
  return entry && JSON.stringify(entry);
}

/**
 * Judges one app: `render` is its render at the head (a failed render is always affected: the
 * failure must be reported), `change` what changed.
 */
export function appImpact(
  app: AppConfig,
  headConfig: RepoConfig,
  change: ChangedFiles,
  render: Pick<RenderResult, 'files'> | undefined,
): AppImpact {
  if (change.kind === 'unknown') return { app, affected: true, reason: change.reason };
  if (change.config && entryOf(change.config.base, app) !== entryOf(headConfig, app)) {
    return { app, affected: true, reason: `its ${REPO_CONFIG_FILE} entry changed` };
  }
  if (!render) return { app, affected: true, reason: 'it does not render' };
  const files = new Set(render.files);
  const dirs = new Set(render.files.map((f) => dirname(f)));
  if (app.path !== '') dirs.add(app.path);
  for (const path of [...change.paths].sort()) {
    if (files.has(path)) return { app, affected: true, reason: `${path} changed` };
    if (dirs.has(dirname(path))) {
      return { app, affected: true, reason: `${path} changed beside its files` };
    }
  }
  return { app, affected: false, reason: 'no file it reads changed' };
}

/** A file an app's render read from under another app's path. */
export interface BorrowedFile {
  file: string;
  /** The app whose path holds it. */
  owner: string;
}

/**
 * The files `app` read (`files`, from its render) that lie outside its own path and under the
 * path of another app of its branch: a push touching only those reaches the owner, not `app`
 * (the sweep deploys it). Listed so the job can say so; at most `limit` of them.
 */
export function borrowedFiles(
  app: AppConfig,
  apps: readonly AppConfig[],
  files: readonly string[],
  limit = 5,
): BorrowedFile[] {
  const others = apps.filter((a) => a.name !== app.name && a.branch === app.branch);
  const out: BorrowedFile[] = [];
  for (const file of files) {
    if (isWithin(file, app.path)) continue;
    const owner = others.find((a) => isWithin(file, a.path));
    if (owner) out.push({ file, owner: owner.name });
    if (out.length >= limit) break;
  }
  return out;
}
