/**
 * The GitHub surface in Markdown: a plan (summary table, one collapsible diff per object), the
 * sticky pull request comment (found again by a hidden marker, updated in place), and the drift
 * issue of an app. Every body stays under GitHub's size limit, cut between sections with a note
 * saying what was left out; text from repositories and servers is escaped so it cannot break
 * out of its table cell, code span or fence.
 */

import { describeRef } from '../core/object.ts';
import type { FilesPlan } from '../hosts/files-plan.ts';
import { renderFilesPlanMarkdown } from '../hosts/render-files.ts';
import type { Plan, PlanEntry } from '../plan/plan.ts';
import { describeCharts } from './chart-summary.ts';
import { cutLines, githubBodyLimit } from './limits.ts';
import { code, escapeInline, fence, quoteBlock, selfHealLines } from './markdown-syntax.ts';
import type { AppPlanResult, DriftFinding, PullRequestPlan } from './outcomes.ts';
import type { Redacted } from './redacted.ts';
import { planSummaryLine, pullRequestTotals } from './summary.ts';

/** The hidden marker the plan comment is found by. */
export { escapeInline } from './markdown-syntax.ts';

export const PLAN_MARKER = '<!-- plumbline:plan -->';

const icons: Record<PlanEntry['action'], string> = {
  create: '➕ create',
  update: '✏️ update',
  delete: '🗑️ delete',
  unchanged: 'unchanged',
};

function planSection(entry: PlanEntry, maxDiff: number): string {
  const diff = cutLines(entry.diff, maxDiff, 'diff');
  const f = fence(diff);
  const lines = [
    `<details><summary>${icons[entry.action]} <code>${escapeInline(describeRef(entry.ref))}</code></summary>`,
    '',
  ];
  if (entry.note) lines.push(`_${escapeInline(entry.note)}_`, '');
  for (const change of entry.changedBy ?? []) {
    lines.push(
      `- ${code(change.path)} was last set by ${change.managers.map((m) => code(m)).join(', ')}`,
    );
  }
  if (entry.changedBy?.length) lines.push('');
  lines.push(`${f}diff`, diff.trimEnd(), f, '', '</details>', '');
  return lines.join('\n');
}

/** A plan as Markdown no longer than `limit` characters. */
export function planMarkdown(
  plan: Redacted<Plan>,
  options: { limit?: number; title?: string } = {},
): string {
  const limit = Math.min(options.limit ?? githubBodyLimit - 1_536, githubBodyLimit);
  const head = [
    `### ${escapeInline(options.title ?? `Plumbline plan for ${plan.app}`)}`,
    '',
    `Revision ${code(plan.revision)} · ${planSummaryLine(plan)} · digest ${code(plan.digest.slice(0, 19))}`,
    '',
    '| Action | Count |',
    '| --- | ---: |',
    `| create | ${plan.summary.create} |`,
    `| update | ${plan.summary.update} |`,
    `| delete | ${plan.summary.delete} |`,
    `| unchanged | ${plan.summary.unchanged} |`,
    '',
  ];
  const errors = plan.entries.filter((e) => e.error);
  if (errors.length > 0) {
    head.push('**Errors**', '');
    for (const entry of errors)
      head.push(`- ${code(describeRef(entry.ref))}: ${escapeInline(entry.error ?? '')}`);
    head.push('');
  }
  let body = cutLines(head.join('\n'), Math.floor(limit / 2), 'error list');
  const changed = plan.entries.filter((e) => e.diff);
  // Room kept for the closing note, so adding it never breaks the limit.
  const reserve = 200;
  let shown = 0;
  for (const entry of changed) {
    const next = planSection(entry, Math.max(1_000, Math.floor((limit - reserve) / 4)));
    if (body.length + next.length > limit - reserve) break;
    body += `\n${next}`;
    shown++;
  }
  if (shown < changed.length) {
    body += `\n> ${changed.length - shown} more changed object(s) not shown: the comment would exceed GitHub's size limit. Run \`plumbline plan\` locally for the full diff.\n`;
  }
  return body;
}

/** The plan comment stays this far below GitHub's limit (marker, headings and notes). */
const COMMENT_LIMIT = githubBodyLimit - 2_000;

function failureMarkdown(heading: string, result: Extract<AppPlanResult, { kind: 'failed' }>) {
  const { failure } = result;
  const where = failure.file
    ? ` (${code(`${failure.file}${failure.line ? `:${failure.line}` : ''}`)})`
    : '';
  const hint = failure.hint ? `\n\nHint: ${escapeInline(failure.hint)}` : '';
  return `${heading}\n\n❌ **${failure.stage} failed**${where}\n\n${quoteBlock(
    escapeInline(failure.message),
  )}${hint}\n`;
}

function appSection(result: AppPlanResult, limit: number): string {
  const heading = `### ${escapeInline(result.app)}`;
  switch (result.kind) {
    case 'planned': {
      const charts = result.charts?.length
        ? `\nHelm charts: ${escapeInline(describeCharts(result.charts))}\n`
        : '';
      return `${planMarkdown(result.plan as Redacted<Plan>, {
        limit,
        title: `${result.app} → ${result.target}/${result.plan.namespace}`,
      })}\n${charts}`;
    }
    case 'planned-files':
      return `${renderFilesPlanMarkdown(result.plan as FilesPlan, {
        limit,
        title: `${result.app} → ${result.target}:${result.plan.destination}`,
      })}\n`;
    case 'unaffected':
      return `${heading}\n\nNot affected: ${escapeInline(result.reason)}.\n`;
    case 'failed':
      return failureMarkdown(heading, result);
  }
}

/** Failures first, then plans, then apps the change does not touch. */
function rank(result: AppPlanResult): number {
  return result.kind === 'failed' ? 0 : result.kind === 'unaffected' ? 2 : 1;
}

/** The sticky comment for a planned pull request: per-app sections sharing the room. */
export function pullRequestComment(plan: Redacted<PullRequestPlan>): string {
  const affected = plan.apps.filter((a) => a.kind !== 'unaffected').length;
  const head = [
    PLAN_MARKER,
    '## Plumbline plan',
    '',
    `Commit ${code(plan.headSha.slice(0, 7))} · ${affected} of ${plan.apps.length} app(s) affected · ${pullRequestTotals(plan)} · dry run only, nothing was applied`,
    '',
  ].join('\n');
  let body = head;
  const sections = [...plan.apps].sort((a, b) => rank(a) - rank(b));
  let cut = 0;
  for (const [i, result] of sections.entries()) {
    // Each remaining app gets an equal share of the room left.
    const share = Math.floor((COMMENT_LIMIT - body.length) / (sections.length - i));
    let section = appSection(result, Math.max(500, share - 50));
    if (section.length > share && result.kind !== 'planned' && result.kind !== 'planned-files') {
      section = cutLines(section, share);
    }
    if (body.length + section.length > COMMENT_LIMIT) {
      cut = sections.length - i;
      break;
    }
    body += `\n${section}`;
  }
  if (cut > 0) {
    body += `\n> ${cut} app section(s) not shown: the comment would exceed GitHub's size limit. Run \`plumbline plan\` locally for the full plan.\n`;
  }
  return body;
}

/** The comment for a pull request that is not planned (a fork), saying why. */
export function notPlannedComment(reason: string): string {
  return [PLAN_MARKER, '## Plumbline plan', '', `Not planned: ${reason}`, ''].join('\n');
}

const OUTDATED = '> **Outdated:**';

/** The comment of a closed pull request: the old body under a note, marked once. */
export function markOutdated(body: string, merged: boolean): string {
  if (body.includes(OUTDATED)) return body;
  const rest = body.replace(PLAN_MARKER, '').trimStart();
  const why = merged
    ? 'this pull request was merged; the push deploys it.'
    : 'this pull request was closed without merging.';
  return `${PLAN_MARKER}\n${OUTDATED} ${why} The plan below is no longer current.\n\n${rest}`;
}

/** The hidden marker of an app's drift issue. */
export function driftMarker(repo: string, app: string): string {
  return `<!-- plumbline:drift ${repo}#${app} -->`;
}

/** The issue title of an app's drift. */
export function driftTitle(app: string): string {
  return `Drift: ${app} differs from Git`;
}

/** The body of a drift issue once the app is clean again: the old one, with a note. */
export function driftResolved(body: string, app: string): string {
  return `${body}\n\n---\n**Resolved:** the sweep found ${app} back in sync with Git.\n`;
}

/** The issue body for a drifted app: fields and their managers, missing and extra objects. */
export function driftIssue(finding: Redacted<DriftFinding>): string {
  const { report } = finding;
  const lines = [
    driftMarker(finding.repo, finding.app),
    `## Drift in ${escapeInline(finding.app)}`,
    '',
    `The live objects of **${escapeInline(finding.app)}** (target ${code(finding.target)}, namespace ${code(report.namespace)}) no longer match commit ${code(finding.sha.slice(0, 7))}.`,
    '',
  ];
  if (report.drifted.length > 0) {
    lines.push('| Object | Field | Changed by |', '| --- | --- | --- |');
    for (const object of report.drifted) {
      for (const field of object.fields) {
        const managers = field.managers.length ? field.managers.map(code).join(', ') : 'unknown';
        lines.push(
          `| ${code(describeRef(object.ref))} | ${code(field.path).replace(/\|/g, '\\|')} | ${managers.replace(/\|/g, '\\|')} |`,
        );
      }
    }
    lines.push('');
  }
  if (report.missing.length > 0) {
    lines.push('**Missing** (deleted from the cluster):', '');
    for (const ref of report.missing) lines.push(`- ${code(describeRef(ref))}`);
    lines.push('');
  }
  if (report.extra.length > 0) {
    lines.push('**Extra** (members of the set that Git no longer has):', '');
    for (const ref of report.extra) lines.push(`- ${code(describeRef(ref))}`);
    lines.push('');
  }
  lines.push(
    ...selfHealLines(finding.healed, {
      healed: 'the sweep put the desired state back',
      off: 'push again to put the desired state back',
    }),
  );
  let body = lines.join('\n');
  const limit = githubBodyLimit - 5_536;
  body = cutLines(body, limit / 2, 'field list');
  let cut = 0;
  for (const [i, object] of report.drifted.entries()) {
    if (!object.diff) continue;
    const diff = cutLines(object.diff, 8_000, 'diff');
    const f = fence(diff);
    const section = [
      `<details><summary>Diff of ${code(describeRef(object.ref))} (live → desired)</summary>`,
      '',
      `${f}diff`,
      diff.trimEnd(),
      f,
      '',
      '</details>',
      '',
    ].join('\n');
    if (body.length + section.length > limit) {
      cut = report.drifted.slice(i).filter((o) => o.diff).length;
      break;
    }
    body += section;
  }
  if (cut > 0)
    body += `> ${cut} more diff(s) not shown: the issue would exceed GitHub's size limit.\n`;
  return body;
}
