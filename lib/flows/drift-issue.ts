/**
 * Drift as a GitHub issue: one per drifted app, labelled `plumbline-drift` and found again by
 * a hidden marker, opened when the sweep finds drift, updated while it lasts,
 * and closed once the app is clean. Each drifted field is named with the field manager that
 * changed it; diffs are masked by `detectDrift`.
 */
import { describeRef } from '../core/object.ts';
import type { DriftReport } from '../drift/drift.ts';
import type { GitHost, IssueInfo, RepoRef } from '../ports/git-host.ts';

/** The label every drift issue carries. */
export const DRIFT_LABEL = 'plumbline-drift';

/** The hidden marker of an app's drift issue. */
export function driftMarker(repo: string, app: string): string {
  return `<!-- plumbline:drift ${repo}#${app} -->`;
}

/** What the sweep found for one app. */
export interface DriftFinding {
  repo: string;
  app: string;
  /** The head commit the desired state came from. */
  sha: string;
  target: string;
  report: DriftReport;
  /** Whether the sweep put the objects back (`selfHeal: true`), and how that went. */
  healed?: { ok: boolean; errors: string[] };
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** The issue body for a drifted app. */
export function renderDriftIssue(finding: DriftFinding): string {
  const { report } = finding;
  const lines = [
    driftMarker(finding.repo, finding.app),
    `## Drift in ${finding.app}`,
    '',
    `The live objects of **${finding.app}** (target ${code(finding.target)}, namespace ${code(report.namespace)}) no longer match commit ${code(finding.sha.slice(0, 7))}.`,
    '',
  ];
  if (report.drifted.length > 0) {
    lines.push('| Object | Field | Changed by |', '| --- | --- | --- |');
    for (const object of report.drifted) {
      for (const field of object.fields) {
        const managers = field.managers.length ? field.managers.map(code).join(', ') : 'unknown';
        lines.push(`| ${code(describeRef(object.ref))} | ${code(field.path)} | ${managers} |`);
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
  if (finding.healed?.ok) {
    lines.push(
      '**Self-healed:** the sweep put the desired state back (`selfHeal: true`). This issue closes at the next clean sweep.',
      '',
    );
  } else if (finding.healed) {
    lines.push('**Self-heal failed:**', '');
    for (const error of finding.healed.errors) lines.push(`- ${error}`);
    lines.push('');
  } else {
    lines.push(
      '`selfHeal` is off for this app: change Git to match, or push again to put the desired state back.',
      '',
    );
  }
  for (const object of report.drifted) {
    if (!object.diff) continue;
    const diff =
      object.diff.length > 8_000 ? `${object.diff.slice(0, 8_000)}\n… diff cut\n` : object.diff;
    lines.push(
      `<details><summary>Diff of ${code(describeRef(object.ref))} (live → desired)</summary>`,
      '',
      '````diff',
      diff.trimEnd(),
      '````',
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n').slice(0, 60_000);
}

/** The issue title of an app's drift. */
export function driftTitle(app: string): string {
  return `Drift: ${app} differs from Git`;
}

/** What `syncDriftIssue` did. */
export type DriftIssueAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

/**
 * Brings the app's drift issue in line with `finding` (`undefined`: the app is clean): open
 * a new one, update, close, or leave it. Safe to run any number of times.
 */
export function syncDriftIssue(
  gitHost: GitHost,
  repo: RepoRef,
  fullName: string,
  app: string,
  finding: DriftFinding | undefined,
): Promise<{ action: DriftIssueAction; number?: number }> {
  return syncDriftIssueBody(gitHost, repo, fullName, app, finding && renderDriftIssue(finding));
}

/**
 * `syncDriftIssue` for any kind of app: `body` is the issue's text for the drift found (the
 * marker goes first when the body lacks it), `undefined` when the app is clean.
 */
export async function syncDriftIssueBody(
  gitHost: GitHost,
  repo: RepoRef,
  fullName: string,
  app: string,
  drift: string | undefined,
): Promise<{ action: DriftIssueAction; number?: number }> {
  const marker = driftMarker(fullName, app);
  const issues = await gitHost.listIssues(repo, DRIFT_LABEL);
  const mine: IssueInfo[] = issues.filter((i) => i.body.includes(marker));
  const open = mine.find((i) => i.state === 'open');
  if (drift === undefined) {
    if (!open) return { action: 'none' };
    const body = `${open.body}\n\n---\n**Resolved:** the sweep found ${app} back in sync with Git.\n`;
    await gitHost.updateIssue(repo, open.number, { body, state: 'closed' });
    return { action: 'closed', number: open.number };
  }
  const body = drift.startsWith(marker) ? drift : `${marker}\n${drift}`;
  if (open) {
    if (open.body === body) return { action: 'unchanged', number: open.number };
    await gitHost.updateIssue(repo, open.number, { body });
    return { action: 'updated', number: open.number };
  }
  const created = await gitHost.createIssue(repo, {
    title: driftTitle(app),
    body,
    labels: [DRIFT_LABEL],
  });
  return { action: 'opened', number: created.number };
}
