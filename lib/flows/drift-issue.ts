/**
 * Drift as a GitHub issue: one per drifted app, labelled `plumbline-drift` and found again by
 * a hidden marker, opened when the sweep finds drift, updated while it lasts, and closed once
 * the app is clean. The body is the report's (`driftIssue`), from redacted data only.
 */
import type { GitHost, IssueInfo, RepoRef } from '../ports/git-host.ts';
import { driftIssue, driftMarker, driftResolved, driftTitle } from '../report/markdown.ts';
import type { DriftFinding, DriftIssueAction } from '../report/outcomes.ts';
import type { Redacted } from '../report/redacted.ts';

export type { DriftFinding, DriftIssueAction } from '../report/outcomes.ts';

/** The label every drift issue carries. */
export const DRIFT_LABEL = 'plumbline-drift';

/**
 * Brings the app's drift issue in line with `finding` (`undefined`: the app is clean): open
 * a new one, update, close, or leave it. Safe to run any number of times.
 */
export function syncDriftIssue(
  gitHost: GitHost,
  repo: RepoRef,
  fullName: string,
  app: string,
  finding: Redacted<DriftFinding> | undefined,
): Promise<{ action: DriftIssueAction; number?: number }> {
  return syncDriftIssueBody(gitHost, repo, fullName, app, finding && driftIssue(finding));
}

/**
 * `syncDriftIssue` for any kind of app: `drift` is the issue's body for the drift found (from
 * redacted data only; the marker goes first when it lacks it), `undefined` when the app is
 * clean.
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
    await gitHost.updateIssue(repo, open.number, {
      body: driftResolved(open.body, app),
      state: 'closed',
    });
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
