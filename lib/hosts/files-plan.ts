/**
 * `planFiles`: what deploying a `files` app would change on its host, from the desired set
 * (Git) and the survey (the host): per file create, update, unchanged or delete, a unified
 * diff (masked for secret files), mode changes, and the files changed on the host since the
 * last deploy (drift). Pure and plain data, like the Kubernetes `Plan`: the PR comment, the
 * check run, the CLI and the deploy all read it.
 */

import { unifiedDiff } from '../plan/unified-diff.ts';
import { MASKED } from '../secrets/mask.ts';
import type { DesiredFile, DesiredFiles } from './desired-files.ts';
import type { FilesInventory, OwnedFile } from './inventory.ts';
import type { LivePath, Survey, SurveyProbe } from './survey.ts';

/** What deploying would do to one file. */
export type FileAction = 'create' | 'update' | 'unchanged' | 'delete';

/** One file of a plan. */
export interface FilePlanEntry {
  path: string;
  action: FileAction;
  /** Unified diff host → Git; secret files show only that they change. `''` when unchanged. */
  diff: string;
  sensitive: boolean;
  /** The mode changes (also for files whose content is unchanged). */
  mode?: { from: number; to: number };
  /** What the host has, for files that exist there. */
  live?: { sha256: string; mtime: number; owner: string; mode: number } | undefined;
  /** Changed on the host since Plumbline last wrote it (a hand edit). */
  drifted?: boolean;
  /** Why the action is what it is, when not obvious. */
  note?: string;
  /** The file cannot be deployed this way; the deploy refuses the whole app. */
  error?: string;
}

/** The outcome of planning a `files` app: plain data. */
export interface FilesPlan {
  app: string;
  /** The host binding's name. */
  host: string;
  destination: string;
  revision: string;
  /** The desired set's digest (recorded in the inventory). */
  digest: string;
  entries: FilePlanEntry[];
  summary: Record<FileAction, number> & { errors: number };
  /** What the inventory said before (absent: nothing deployed yet). */
  previous?: { revision: string; appliedAt: string };
  /** Owned files that left Git but stay (prune is off); they leave the inventory. */
  released: string[];
}

/** What `planFiles` needs besides the two sides. */
export interface PlanFilesOptions {
  app: string;
  host: string;
  destination: string;
  revision: string;
  prune: boolean;
  adopt: boolean;
}

/** The paths the survey must look at: every desired file and every owned one. */
export function surveyProbes(desired: DesiredFiles, owned?: FilesInventory): SurveyProbe[] {
  const probes = new Map<string, SurveyProbe>();
  for (const file of desired.files) {
    probes.set(file.path, { path: file.path, expected: file.sha256, fetch: !file.sensitive });
  }
  for (const [path, entry] of Object.entries(owned?.files ?? {})) {
    if (!probes.has(path)) probes.set(path, { path, fetch: !entry.sensitive });
  }
  return [...probes.values()];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of a file for a diff, or `undefined` when it is binary. */
function textOf(bytes: Uint8Array | undefined): string | undefined {
  if (!bytes || bytes.includes(0)) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** The diff of one file: real for text, a masked marker for secret files, a note for binary. */
function fileDiff(
  path: string,
  live: { content?: Uint8Array; sha256?: string } | undefined,
  desired: DesiredFile | undefined,
  sensitive: boolean,
): string {
  const names = { before: `host/${path}`, after: `git/${path}` };
  if (live?.sha256 !== undefined && desired && live.sha256 === desired.sha256) return '';
  if (sensitive) {
    const before = live ? `-${MASKED} (before)\n` : '';
    const after = desired ? `+${MASKED} (after)\n` : '';
    return `--- ${names.before}\n+++ ${names.after}\n@@ secret file: content masked @@\n${before}${after}`;
  }
  const beforeText = live ? textOf(live.content) : '';
  const afterText = desired ? textOf(desired.content) : '';
  if (beforeText === undefined || afterText === undefined) {
    const what =
      live && !live.content ? 'content not fetched (large or unreadable)' : 'binary file';
    return `--- ${names.before}\n+++ ${names.after}\n@@ ${what}: ${live?.sha256?.slice(0, 12) ?? 'absent'} -> ${desired?.sha256.slice(0, 12) ?? 'absent'} @@\n`;
  }
  return unifiedDiff(beforeText, afterText, names);
}

function liveInfo(live: LivePath): FilePlanEntry['live'] {
  return live.state === 'file'
    ? { sha256: live.sha256, mtime: live.mtime, owner: live.owner, mode: live.mode }
    : undefined;
}

function refusal(live: LivePath): string | undefined {
  switch (live.state) {
    case 'symlink':
      return 'is a symbolic link on the host; Plumbline never writes through links';
    case 'other':
      return 'is not a regular file on the host (a directory or device)';
    case 'unreadable':
      return 'cannot be read by the deploy user on the host';
    default:
      return undefined;
  }
}

/** Plans a `files` app: see the module comment. */
export function planFiles(
  desired: DesiredFiles,
  survey: Survey,
  inventory: FilesInventory | undefined,
  options: PlanFilesOptions,
): FilesPlan {
  const livePaths = new Map(survey.paths.map((p) => [p.path, p]));
  // No prototype: a file may be called `__proto__` or `constructor`.
  const owned: Record<string, OwnedFile> = inventory?.files ?? Object.create(null);
  const entries: FilePlanEntry[] = [];
  const released: string[] = [];
  const desiredPaths = new Set(desired.files.map((f) => f.path));

  for (const file of desired.files) {
    const live = livePaths.get(file.path) ?? { path: file.path, state: 'missing' as const };
    const mine = owned[file.path];
    const base = { path: file.path, sensitive: file.sensitive };
    const refused = refusal(live);
    if (refused) {
      entries.push({ ...base, action: 'update', diff: '', error: refused });
      continue;
    }
    if (live.state !== 'file') {
      entries.push({
        ...base,
        action: 'create',
        diff: fileDiff(file.path, undefined, file, file.sensitive),
        ...(mine ? { drifted: true, note: 'deleted on the host since the last deploy' } : {}),
      });
      continue;
    }
    const same = live.sha256 === file.sha256;
    const modeChanged = (live.mode & 0o7777) !== file.mode;
    const drifted =
      mine !== undefined && (live.sha256 !== mine.sha256 || (live.mode & 0o7777) !== mine.mode);
    const entry: FilePlanEntry = {
      ...base,
      action: same && !modeChanged ? 'unchanged' : 'update',
      diff: fileDiff(file.path, live, file, file.sensitive || (mine?.sensitive ?? false)),
      ...(modeChanged ? { mode: { from: live.mode & 0o7777, to: file.mode } } : {}),
      live: liveInfo(live),
      ...(drifted ? { drifted: true, note: 'changed on the host since the last deploy' } : {}),
    };
    if (!mine) {
      if (same && !modeChanged) entry.note = 'identical on the host: Plumbline takes ownership';
      else if (options.adopt) entry.note = 'not owned yet: adopted (adopt: true)';
      else {
        entry.error =
          'exists on the host and Plumbline does not own it; remove or rename it there, or set adopt: true on the app to take it over';
      }
    }
    entries.push(entry);
  }

  for (const [path, mine] of Object.entries(owned)) {
    if (desiredPaths.has(path)) continue;
    const live = livePaths.get(path) ?? { path, state: 'missing' as const };
    const base = { path, sensitive: mine.sensitive };
    if (live.state === 'missing') {
      entries.push({ ...base, action: 'delete', diff: '', note: 'already gone from the host' });
      continue;
    }
    const refused = refusal(live);
    if (refused) {
      entries.push({ ...base, action: 'delete', diff: '', error: refused });
      continue;
    }
    if (!options.prune) {
      released.push(path);
      entries.push({
        ...base,
        action: 'unchanged',
        diff: '',
        live: liveInfo(live),
        note: 'left Git; kept on the host and no longer owned (prune: false)',
      });
      continue;
    }
    const drifted = live.state === 'file' && live.sha256 !== mine.sha256;
    entries.push({
      ...base,
      action: 'delete',
      diff: fileDiff(path, live.state === 'file' ? live : undefined, undefined, mine.sensitive),
      live: liveInfo(live),
      ...(drifted ? { drifted: true, note: 'changed on the host since the last deploy' } : {}),
    });
  }

  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const summary = { create: 0, update: 0, unchanged: 0, delete: 0, errors: 0 };
  for (const entry of entries) {
    summary[entry.action] += 1;
    if (entry.error) summary.errors += 1;
  }
  return {
    app: options.app,
    host: options.host,
    destination: options.destination,
    revision: options.revision,
    digest: desired.digest,
    entries,
    summary,
    ...(inventory
      ? { previous: { revision: inventory.revision, appliedAt: inventory.appliedAt } }
      : {}),
    released,
  };
}

/** True when deploying the plan would change something on the host (or in the inventory). */
export function planChangesHost(plan: FilesPlan, inventory: FilesInventory | undefined): boolean {
  if (plan.summary.create + plan.summary.update + plan.summary.delete > 0) return true;
  if (plan.released.length > 0) return true;
  if (!inventory) return true;
  // Same files, but a file to take ownership of or a new digest still rewrites the inventory.
  const owned = Object.keys(inventory.files).sort().join('\n');
  const wanted = plan.entries
    .filter((e) => e.action !== 'delete')
    .map((e) => e.path)
    .sort()
    .join('\n');
  return owned !== wanted || inventory.digest !== plan.digest;
}

/** `0644`, as plans print modes. */
export { octal as formatMode };
