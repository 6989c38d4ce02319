/**
 * Plans bound to applies. Each plan Plumbline shows is stamped on the commit it was shown for,
 * as a commit status `plumbline/plan/<app>` whose description carries the plan's digest (its
 * rendered half and its live half). A deploy recomputes the plan at the merged commit and
 * looks the stamps up again, statelessly, through GitHub:
 *
 * - on the merged commit itself (a fresh plan shown by an earlier deploy of it);
 * - on the head commit of each pull request that brought it (the plan its reviewers saw).
 *
 * Why commit statuses: they can be written with a token or a GitHub App alike (check runs need
 * an App), only by someone with write access to the repository (a fork's author or a
 * commenter cannot forge one, while anyone can post a comment that looks like Plumbline's),
 * they are tied to an exact commit, they cost one request to read back for a whole commit, and
 * they hold no plan content, only its digest. The cluster is not an option: pull request plans
 * only ever dry-run.
 */

import type { Plan } from '../plan/plan.ts';
import type { GitHost, RepoRef } from '../ports/git-host.ts';

/** The commit status context of an app's plan stamps. */
export function planStatusContext(app: string): string {
  return `plumbline/plan/${app}`;
}

/** A plan as stamped: the two halves of its digest, shortened to 128 bits each. */
export interface PlanStamp {
  desired: string;
  live: string;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 32);

/** The stamp of a plan. */
export function stampOf(plan: Pick<Plan, 'digests'>): PlanStamp {
  return { desired: short(plan.digests.desired), live: short(plan.digests.live) };
}

/** The stamp as a commit status description (71 characters, GitHub allows 140). */
export function stampText(stamp: PlanStamp): string {
  return `plan desired=${stamp.desired} live=${stamp.live}`;
}

/** Reads a stamp back from a status description, or `undefined`. */
export function parseStamp(description: string): PlanStamp | undefined {
  const match = /\bplan desired=([0-9a-f]{32}) live=([0-9a-f]{32})\b/.exec(description);
  return match ? { desired: match[1] as string, live: match[2] as string } : undefined;
}

/** A plan that was shown: where, and its stamp. */
export interface ShownPlan extends PlanStamp {
  /** On a pull request's head (`pull`), or on the merged commit by an earlier deploy (`commit`). */
  source: 'pull' | 'commit';
  /** The pull request, for `pull`. */
  number?: number;
  /** The commit the stamp is on. */
  sha: string;
  /** Where the plan can be read, when known. */
  url?: string;
}

/** Every plan stamp shown for commit `sha` of `app`, the merged commit's own first. */
export async function shownPlans(
  gitHost: GitHost,
  repo: RepoRef,
  sha: string,
  app: string,
): Promise<ShownPlan[]> {
  const context = planStatusContext(app);
  const stampsOn = async (commit: string) =>
    (await gitHost.listCommitStatuses(repo, commit))
      .filter((s) => s.context === context)
      .map((s) => ({ stamp: parseStamp(s.description), url: s.targetUrl }));
  const out: ShownPlan[] = [];
  for (const { stamp, url } of await stampsOn(sha)) {
    if (stamp) out.push({ ...stamp, source: 'commit', sha, ...(url ? { url } : {}) });
  }
  for (const pull of await gitHost.pullRequestsOfCommit(repo, sha)) {
    // Only the stamp current on the head when it merged counts: the latest status of the context.
    const [latest] = await stampsOn(pull.headSha);
    if (latest?.stamp) {
      out.push({
        ...latest.stamp,
        source: 'pull',
        number: pull.number,
        sha: pull.headSha,
        ...(latest.url ? { url: latest.url } : {}),
      });
    }
  }
  return out;
}

/** How a recomputed plan relates to the plans shown. */
export type PlanBinding =
  | { kind: 'matched'; shown: ShownPlan }
  | { kind: 'moved'; shown: ShownPlan; moved: 'live' | 'base' | 'both' }
  | { kind: 'none' };

/** Binds a recomputed plan to the plans shown for its commit. */
export function bindPlan(plan: Pick<Plan, 'digests'>, shown: readonly ShownPlan[]): PlanBinding {
  const stamp = stampOf(plan);
  const matched = shown.find((s) => s.desired === stamp.desired && s.live === stamp.live);
  if (matched) return { kind: 'matched', shown: matched };
  // The reviewers' plan says most about what moved; a fresh one on the commit otherwise.
  const reference = shown.find((s) => s.source === 'pull') ?? shown[0];
  if (!reference) return { kind: 'none' };
  const base = reference.desired !== stamp.desired;
  const live = reference.live !== stamp.live;
  return { kind: 'moved', shown: reference, moved: base && live ? 'both' : base ? 'base' : 'live' };
}

/** What moved, in words: `live state moved`, `the base moved`, or both. */
export function describeMove(binding: Extract<PlanBinding, { kind: 'moved' }>): string {
  const where =
    binding.shown.source === 'pull'
      ? `the plan reviewed in #${binding.shown.number}`
      : 'the plan shown';
  const what =
    binding.moved === 'live'
      ? 'live state moved'
      : binding.moved === 'base'
        ? 'the base moved'
        : 'the base and live state moved';
  return `${what} since ${where}`;
}
