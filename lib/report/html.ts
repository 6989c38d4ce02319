/**
 * The HTML view hooks for the status page: fragments (no page chrome, no scripts, no inline
 * styles beyond class names) that the page composes. Every text from a repository, a cluster
 * or a server is escaped, so a hostile name or message stays text.
 */

import type { ChangeSet } from '../apply/apply.ts';
import { describeRef } from '../core/object.ts';
import type { FilesPlan } from '../hosts/files-plan.ts';
import { renderFilesPlanText } from '../hosts/render-files.ts';
import type { Plan } from '../plan/plan.ts';
import type { DriftFinding, RunRecord } from './outcomes.ts';
import type { Redacted } from './redacted.ts';
import { changeEntryNote, changeSetSummary, planSummaryLine } from './summary.ts';

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` safe inside an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/** A class name from a fixed set: outcome words only, never data. */
function token(text: string): string {
  return text.replace(/[^a-z-]/g, '');
}

/** A plan as a table of objects and a collapsible diff per changed one. */
export function planHtml(plan: Redacted<Plan>): string {
  const rows = plan.entries
    .map(
      (entry) =>
        `<tr class="plumbline-${token(entry.action)}"><td>${escapeHtml(entry.action)}</td><td><code>${escapeHtml(describeRef(entry.ref))}</code></td><td>${escapeHtml(entry.error ?? entry.note ?? '')}</td></tr>`,
    )
    .join('');
  const diffs = plan.entries
    .filter((entry) => entry.diff)
    .map(
      (entry) =>
        `<details><summary>${escapeHtml(`${entry.action} ${describeRef(entry.ref)}`)}</summary><pre class="plumbline-diff">${escapeHtml(entry.diff)}</pre></details>`,
    )
    .join('');
  return `<section class="plumbline-plan"><p>${escapeHtml(`${plan.app} at ${plan.revision.slice(0, 12)}: ${planSummaryLine(plan)}`)}</p><table><thead><tr><th>Action</th><th>Object</th><th>Note</th></tr></thead><tbody>${rows}</tbody></table>${diffs}</section>`;
}

/** A change set as a list of objects and what happened to each. */
export function changeSetHtml(changes: Redacted<ChangeSet>): string {
  const items = changes.entries
    .map(
      (entry) =>
        `<li class="plumbline-${token(entry.action)}"><code>${escapeHtml(describeRef(entry.ref))}</code> ${escapeHtml(entry.action)}${changeEntryNote(entry) ? `: ${escapeHtml(changeEntryNote(entry) ?? '')}` : ''}</li>`,
    )
    .join('');
  return `<section class="plumbline-apply"><p>${escapeHtml(changeSetSummary(changes))}</p><ul>${items}</ul></section>`;
}

/** Drift as a table of fields and the managers that changed them. */
export function driftHtml(finding: Redacted<DriftFinding>): string {
  const rows = finding.report.drifted
    .flatMap((object) =>
      object.fields.map(
        (field) =>
          `<tr><td><code>${escapeHtml(describeRef(object.ref))}</code></td><td><code>${escapeHtml(field.path)}</code></td><td>${escapeHtml(field.managers.join(', ') || 'unknown')}</td></tr>`,
      ),
    )
    .join('');
  const missing = finding.report.missing
    .map((ref) => `<li>missing <code>${escapeHtml(describeRef(ref))}</code></li>`)
    .join('');
  const extra = finding.report.extra
    .map((ref) => `<li>extra <code>${escapeHtml(describeRef(ref))}</code></li>`)
    .join('');
  return `<section class="plumbline-drift"><table><thead><tr><th>Object</th><th>Field</th><th>Changed by</th></tr></thead><tbody>${rows}</tbody></table><ul>${missing}${extra}</ul></section>`;
}

/** One run record: a headline with its status, and the detail it carries. */
export function runRecordHtml(record: Redacted<RunRecord>): string {
  const subject = record.app ?? (record.number !== undefined ? `#${record.number}` : '');
  const headline = `<p><span class="plumbline-status plumbline-${token(record.status)}">${escapeHtml(record.status)}</span> ${escapeHtml(`${record.kind} ${record.repo} ${subject}`)}${record.sha ? ` <code>${escapeHtml(record.sha.slice(0, 7))}</code>` : ''}</p>`;
  const parts = [headline];
  if (record.reason) parts.push(`<p>${escapeHtml(record.reason)}</p>`);
  if (record.failure) {
    parts.push(
      `<p class="plumbline-failure">${escapeHtml(`${record.failure.stage} failed: ${record.failure.message}`)}</p>`,
    );
    if (record.failure.hint) parts.push(`<p>${escapeHtml(record.failure.hint)}</p>`);
  }
  if (record.changeSet) parts.push(changeSetHtml(record.changeSet as Redacted<ChangeSet>));
  if (record.drift) parts.push(driftHtml(record.drift as Redacted<DriftFinding>));
  for (const app of record.plan?.apps ?? []) {
    if (app.kind === 'planned') parts.push(planHtml(app.plan as Redacted<Plan>));
    if (app.kind === 'planned-files') {
      parts.push(
        `<pre class="plumbline-diff">${escapeHtml(renderFilesPlanText(app.plan as FilesPlan))}</pre>`,
      );
    }
  }
  return `<article class="plumbline-run">${parts.join('')}</article>`;
}
