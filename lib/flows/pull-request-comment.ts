/**
 * The sticky pull request comment: one per pull request, found again by a hidden marker and
 * updated in place. Per-app sections (plans are masked by `planApp`), always under GitHub's
 * 65,536-character limit: the room is shared between the apps, and a note says what was cut.
 */
import { githubBodyLimit, renderPlanMarkdown } from '../plan/render-markdown.ts';
import { describeCharts } from './chart-summary.ts';
import type { AppPlanResult, PullRequestPlan } from './plan-pull-request.ts';

/** The hidden marker the comment is found by. */
export const PLAN_MARKER = '<!-- plumbline:plan -->';

/** The comment stays this far below GitHub's limit (marker, headings and notes). */
const SAFE_LIMIT = githubBodyLimit - 2_000;

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_|<>[\]]/g, (c) => `\\${c}`);
}

function quoteBlock(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

function totals(plan: PullRequestPlan): string {
  const sum = { create: 0, update: 0, delete: 0 };
  for (const result of plan.apps) {
    if (result.kind !== 'planned') continue;
    sum.create += result.plan.summary.create;
    sum.update += result.plan.summary.update;
    sum.delete += result.plan.summary.delete;
  }
  return `${sum.create} to create, ${sum.update} to update, ${sum.delete} to delete`;
}

function appSection(result: AppPlanResult, limit: number): string {
  const heading = `### ${escapeMarkdown(result.app)}`;
  switch (result.kind) {
    case 'planned': {
      const charts = result.charts?.length
        ? `\nHelm charts: ${escapeMarkdown(describeCharts(result.charts))}\n`
        : '';
      return `${renderPlanMarkdown(result.plan, {
        limit,
        title: `${result.app} → ${result.target}/${result.plan.namespace}`,
      })}\n${charts}`;
    }
    case 'unaffected':
      return `${heading}\n\nNot affected: ${escapeMarkdown(result.reason)}.\n`;
    case 'failed': {
      const where = result.failure.file
        ? ` (\`${result.failure.file}${result.failure.line ? `:${result.failure.line}` : ''}\`)`
        : '';
      const hint = result.failure.hint ? `\n\nHint: ${escapeMarkdown(result.failure.hint)}` : '';
      return `${heading}\n\n❌ **${result.failure.stage} failed**${where}\n\n${quoteBlock(
        escapeMarkdown(result.failure.message),
      )}${hint}\n`;
    }
  }
}

/** The comment for a planned pull request. */
export function renderPullRequestComment(plan: PullRequestPlan): string {
  const affected = plan.apps.filter((a) => a.kind !== 'unaffected').length;
  const head = [
    PLAN_MARKER,
    '## Plumbline plan',
    '',
    `Commit \`${plan.headSha.slice(0, 7)}\` · ${affected} of ${plan.apps.length} app(s) affected · ${totals(plan)} · dry run only, nothing was applied`,
    '',
  ].join('\n');
  let body = head;
  const sections = [...plan.apps].sort((a, b) => rank(a) - rank(b));
  let cut = 0;
  for (const [i, result] of sections.entries()) {
    // Each remaining app gets an equal share of the room left.
    const share = Math.floor((SAFE_LIMIT - body.length) / (sections.length - i));
    let section = appSection(result, Math.max(500, share - 50));
    if (section.length > share && result.kind !== 'planned') section = section.slice(0, share);
    if (body.length + section.length > SAFE_LIMIT) {
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

/** Failures first, then plans, then apps the change does not touch. */
function rank(result: AppPlanResult): number {
  return result.kind === 'failed' ? 0 : result.kind === 'planned' ? 1 : 2;
}

/** The comment for a pull request that is not planned (a fork), saying why. */
export function renderNotPlannedComment(reason: string): string {
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
