/**
 * The plan as GitHub Markdown (pull request comment, check run): a summary table and one
 * collapsible diff per changed object. GitHub refuses bodies over 65,536 characters, so the
 * output is cut at a safe limit, always between objects, with a note saying what was left out.
 */
import { describeRef } from '../core/object.ts';
import type { Plan, PlanEntry } from './plan.ts';
import { summaryLine } from './render-text.ts';

/** GitHub's limit for comment and check-run bodies. */
export const githubBodyLimit = 65_536;

/** Escapes text for a Markdown table cell or summary line. */
function escapeInline(text: string): string {
  return text.replace(/[\\`*_|<>[\]]/g, (c) => `\\${c}`);
}

/** A code fence longer than any backtick run inside the content. */
function fence(content: string): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

const icons: Record<PlanEntry['action'], string> = {
  create: '➕ create',
  update: '✏️ update',
  delete: '🗑️ delete',
  unchanged: 'unchanged',
};

function section(entry: PlanEntry, maxDiff: number): string {
  let diff = entry.diff;
  if (diff.length > maxDiff) {
    diff = `${diff.slice(0, diff.lastIndexOf('\n', maxDiff) + 1)}… diff cut (${entry.diff.length} characters)\n`;
  }
  const f = fence(diff);
  const lines = [
    `<details><summary>${icons[entry.action]} <code>${escapeInline(describeRef(entry.ref))}</code></summary>`,
    '',
  ];
  for (const change of entry.changedBy ?? []) {
    lines.push(
      `- \`${change.path}\` was last set by ${change.managers.map((m) => `\`${m}\``).join(', ')}`,
    );
  }
  if (entry.changedBy?.length) lines.push('');
  lines.push(`${f}diff`, diff.trimEnd(), f, '', '</details>', '');
  return lines.join('\n');
}

/** Renders a plan as Markdown no longer than `limit` characters. */
export function renderPlanMarkdown(
  plan: Plan,
  options: { limit?: number; title?: string } = {},
): string {
  const limit = Math.min(options.limit ?? githubBodyLimit - 1_536, githubBodyLimit);
  const head = [
    `### ${escapeInline(options.title ?? `Plumbline plan for ${plan.app}`)}`,
    '',
    `Revision \`${plan.revision}\` · ${summaryLine(plan)} · digest \`${plan.digest.slice(0, 19)}\``,
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
      head.push(
        `- \`${escapeInline(describeRef(entry.ref))}\`: ${escapeInline(entry.error ?? '')}`,
      );
    head.push('');
  }
  let body = head.join('\n');
  const changed = plan.entries.filter((e) => e.diff);
  // Room kept for the closing note, so adding it never breaks the limit.
  const reserve = 200;
  let shown = 0;
  for (const entry of changed) {
    const next = section(entry, Math.max(1_000, Math.floor((limit - reserve) / 4)));
    if (body.length + next.length > limit - reserve) break;
    body += `\n${next}`;
    shown++;
  }
  if (shown < changed.length) {
    body += `\n> ${changed.length - shown} more changed object(s) not shown: the comment would exceed GitHub's size limit. Run \`plumbline plan\` locally for the full diff.\n`;
  }
  return body;
}
