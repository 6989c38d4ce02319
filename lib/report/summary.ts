/** Counts in words, shared by every surface: the same numbers read the same everywhere. */
import type { ChangeSet } from '../apply/apply.ts';
import type { Plan } from '../plan/plan.ts';
import type { PullRequestPlan } from './outcomes.ts';

/** One line: `2 to create, 1 to update, 0 to delete, 5 unchanged[, 1 failing]`. */
export function planSummaryLine(plan: Plan): string {
  const { create, update, delete: del, unchanged, errors } = plan.summary;
  const tail = errors > 0 ? `, ${errors} failing` : '';
  return `${create} to create, ${update} to update, ${del} to delete, ${unchanged} unchanged${tail}`;
}

/** `X to create, Y to update, Z to delete` over every planned app of a pull request. */
export function pullRequestTotals(plan: PullRequestPlan): string {
  const sum = { create: 0, update: 0, delete: 0 };
  for (const result of plan.apps) {
    if (result.kind !== 'planned' && result.kind !== 'planned-files') continue;
    sum.create += result.plan.summary.create;
    sum.update += result.plan.summary.update;
    sum.delete += result.plan.summary.delete;
  }
  return `${sum.create} to create, ${sum.update} to update, ${sum.delete} to delete`;
}

/** Apps of a pull request plan that failed, or whose dry run failed for an object. */
export function failedApps(plan: PullRequestPlan): number {
  return plan.apps.filter(
    (a) => a.kind === 'failed' || (a.kind !== 'unaffected' && a.plan.summary.errors > 0),
  ).length;
}

/** One line counting a change set's actions, e.g. `2 created, 1 configured, 5 unchanged`. */
export function changeSetSummary(changeSet: ChangeSet): string {
  const counts = new Map<string, number>();
  for (const entry of changeSet.entries) {
    counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1);
  }
  const order = ['created', 'configured', 'deleted', 'unchanged', 'skipped', 'failed'];
  const parts = order.filter((a) => counts.has(a)).map((a) => `${counts.get(a)} ${a}`);
  return parts.join(', ') || 'nothing to apply';
}

/** Why one object of a change set failed, was skipped or was kept, if there is a reason. */
export function changeEntryNote(entry: ChangeSet['entries'][number]): string | undefined {
  return entry.error?.message ?? entry.reason;
}

/**
 * The failures of a change set, each as one message naming its object. (The adapter over the
 * change set's error list: views read failures only through it.)
 */
export function changeSetFailures(changeSet: ChangeSet): string[] {
  return changeSet.errors.map((error) => error.message);
}
