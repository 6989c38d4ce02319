/**
 * `files` apps as people read them: a plan as text (CLI) or GitHub Markdown (pull request
 * comment, check run), a change set as text, and drift as the body of the drift issue. Diffs
 * arrive already masked for secret files; file names and notes are escaped, never trusted.
 */
import { code, escapeInline, fence, selfHealLines } from '../report/markdown-syntax.ts';
import type { FilesChangeSet } from './files-deploy.ts';
import { type FileAction, type FilePlanEntry, type FilesPlan, formatMode } from './files-plan.ts';

/** `1 to create, 2 to update, 0 to delete, 3 unchanged` for a files plan. */
export function filesSummaryLine(plan: FilesPlan): string {
  const { create, update, delete: del, unchanged, errors } = plan.summary;
  const tail = errors > 0 ? `, ${errors} refused` : '';
  return `${create} to create, ${update} to update, ${del} to delete, ${unchanged} unchanged${tail}`;
}

function entryNotes(entry: FilePlanEntry): string[] {
  const notes: string[] = [];
  if (entry.mode) notes.push(`mode ${formatMode(entry.mode.from)} -> ${formatMode(entry.mode.to)}`);
  if (entry.sensitive) notes.push('secret (SOPS), written 0600, content masked');
  if (entry.note) notes.push(entry.note);
  return notes;
}

/** The plan as a terminal shows it: one diff per changed file, then the summary. */
export function renderFilesPlanText(plan: FilesPlan): string {
  const out: string[] = [];
  for (const entry of plan.entries) {
    if (entry.error) out.push(`error: ${entry.path}: ${entry.error}\n`);
    if (entry.action === 'unchanged' && !entry.note) continue;
    const notes = entryNotes(entry);
    out.push(`# ${entry.action} ${entry.path}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
    if (entry.diff) out.push(entry.diff);
  }
  out.push(
    `Plan for ${plan.app} on ${plan.host}:${plan.destination} at ${plan.revision.slice(0, 12)}: ${filesSummaryLine(plan)}\n`,
  );
  return out.join('');
}

const icons: Record<FileAction, string> = {
  create: '➕ create',
  update: '✏️ update',
  delete: '🗑️ delete',
  unchanged: 'unchanged',
};

/** The plan as GitHub Markdown, at most `limit` characters (cut between files). */
export function renderFilesPlanMarkdown(
  plan: FilesPlan,
  options: { limit?: number; title?: string } = {},
): string {
  const limit = options.limit ?? 60_000;
  const head = [
    `### ${escapeInline(options.title ?? `${plan.app} → ${plan.host}:${plan.destination}`)}`,
    '',
    `Files · revision \`${plan.revision.slice(0, 12)}\` · ${filesSummaryLine(plan)}`,
    '',
  ];
  const refused = plan.entries.filter((e) => e.error);
  if (refused.length > 0) {
    head.push('**Refused** (the deploy would change nothing):', '');
    for (const entry of refused) {
      head.push(`- \`${escapeInline(entry.path)}\`: ${escapeInline(entry.error ?? '')}`);
    }
    head.push('');
  }
  let body = head.join('\n');
  const shown = plan.entries.filter(
    (e) => e.diff || e.mode || (e.note && e.action !== 'unchanged'),
  );
  let count = 0;
  for (const entry of shown) {
    const notes = entryNotes(entry);
    const diff =
      entry.diff.length > 12_000 ? `${entry.diff.slice(0, 12_000)}\n… diff cut\n` : entry.diff;
    const f = fence(diff);
    const section = [
      `<details><summary>${icons[entry.action]} <code>${escapeInline(entry.path)}</code>${notes.length ? ` (${escapeInline(notes.join('; '))})` : ''}</summary>`,
      '',
      ...(diff ? [`${f}diff`, diff.trimEnd(), f, ''] : []),
      '</details>',
      '',
    ].join('\n');
    if (body.length + section.length > limit - 200) break;
    body += `\n${section}`;
    count++;
  }
  if (count < shown.length) {
    body += `\n> ${shown.length - count} more file(s) not shown: the comment would exceed GitHub's size limit.\n`;
  }
  return body;
}

/** The change set as `path action` lines and a status line. */
export function renderFilesChangeSetText(changes: FilesChangeSet): string {
  const lines = changes.entries.map((e) => `${e.path} ${e.action}${e.note ? ` (${e.note})` : ''}`);
  const status = changes.ok
    ? changes.wrote
      ? 'deployed'
      : 'already up to date'
    : `FAILED (${changes.errors.join('; ')})`;
  lines.push(
    `${changes.app} on ${changes.host}:${changes.destination} at ${changes.revision.slice(0, 12)}: ${status}`,
  );
  return `${lines.join('\n')}\n`;
}

/** What the sweep found for one `files` app. */
export interface FilesDriftFinding {
  repo: string;
  app: string;
  sha: string;
  host: string;
  destination: string;
  /** The drifted files: what the host has differs from Git. */
  files: FilePlanEntry[];
  /** Whether the sweep put the files back (`selfHeal: true`), and how that went. */
  healed?: { ok: boolean; errors: string[] };
}

/** The drifted files of a sweep's plan: every file the deploy would change. */
export function driftedFiles(plan: FilesPlan): FilePlanEntry[] {
  return plan.entries.filter(
    (e) => e.action !== 'unchanged' && !(e.action === 'delete' && !e.live),
  );
}

function when(mtime: number | undefined): string {
  return mtime === undefined ? '—' : new Date(mtime * 1000).toISOString().replace('.000Z', 'Z');
}

/** The drift issue body of a `files` app (after the caller's marker line). */
export function renderFilesDriftIssue(finding: FilesDriftFinding): string {
  const lines = [
    `## Drift in ${escapeInline(finding.app)}`,
    '',
    `The files of **${escapeInline(finding.app)}** on host ${code(finding.host)} (${code(finding.destination)}) no longer match commit ${code(finding.sha.slice(0, 7))}.`,
    '',
    '| File | What changed | Modified | Owner | Mode |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const entry of finding.files) {
    const what =
      entry.action === 'create'
        ? 'deleted on the host'
        : entry.action === 'delete'
          ? 'left Git, still on the host'
          : entry.mode && entry.live?.sha256 && entry.diff === ''
            ? `mode changed (${formatMode(entry.mode.from)})`
            : entry.sensitive
              ? 'content changed (secret: masked)'
              : 'content changed';
    lines.push(
      `| ${code(entry.path)} | ${what} | ${when(entry.live?.mtime)} | ${entry.live ? code(entry.live.owner) : '—'} | ${entry.live ? code(formatMode(entry.live.mode)) : '—'} |`,
    );
  }
  lines.push('');
  lines.push(
    ...selfHealLines(finding.healed, {
      healed: 'the sweep validated the files from Git, swapped them back in and reloaded',
      off: 'push again to put the files back',
    }),
  );
  for (const entry of finding.files) {
    if (!entry.diff) continue;
    const diff =
      entry.diff.length > 8_000 ? `${entry.diff.slice(0, 8_000)}\n… diff cut\n` : entry.diff;
    const f = fence(diff);
    lines.push(
      `<details><summary>Diff of ${code(entry.path)} (host → Git)</summary>`,
      '',
      `${f}diff`,
      diff.trimEnd(),
      f,
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n').slice(0, 60_000);
}
