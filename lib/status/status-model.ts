/**
 * The documents of the status API (`/api/v1/`), which the status page renders: the overview
 * of every app with its head and applied commits, sync state, health, drift, lease and last
 * run; one app with its history; one run. Built from the history and what this runtime is
 * running now; plain JSON, versioned by the API path. Documented in `docs/status-api.md`.
 */
import type {
  HistoryRecord,
  RunCommit,
  RunDriftField,
  RunHealth,
} from '../history/history-record.ts';
import type { AppHistory } from '../history/history-store.ts';
import type { HistoryProblem } from '../history/run-recorder.ts';
import type { LiveJob } from './live-jobs.ts';

/** How an app stands against Git, from its latest result. */
export type SyncState = 'synced' | 'drifted' | 'failed' | 'held' | 'unknown';

/** The history store's state, as the page's banner says it. */
export type HistoryHealth = { ok: true } | ({ ok: false } & HistoryProblem);

/** A run, as lists show it (the whole record is `/api/v1/runs/{id}`). */
export interface RunSummary {
  id: number;
  kind: HistoryRecord['kind'];
  trigger: string;
  outcome: HistoryRecord['outcome'];
  commit?: RunCommit;
  pullRequest?: number;
  target?: string;
  reason?: string;
  failure?: HistoryRecord['failure'];
  counts: Record<string, number>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** One row of the overview. */
export interface AppStatus {
  repo: string;
  app: string;
  target?: string;
  /** The branch head the last run read. */
  head?: RunCommit;
  /** The commit on the target, as the last run that knew it said. */
  applied?: RunCommit;
  sync: SyncState;
  health: RunHealth | 'unknown';
  /** Drifted fields and who changed them, while drift is the app's latest news. */
  drift: RunDriftField[];
  /** Drift that the last sweep put back. */
  healed: boolean;
  /** Who holds the app's lease now (a job of this runtime), or held it against the last run. */
  lease?: { holder: string; since: string; state: 'running' | 'queued' | 'held-elsewhere' };
  lastRun?: RunSummary;
  /** Path of the app's page and API document. */
  links: { page: string; api: string };
}

/** `GET /api/v1/overview`. */
export interface OverviewDocument {
  generatedAt: string;
  history: HistoryHealth;
  apps: AppStatus[];
}

/** `GET /api/v1/apps/{repo}/{app}`. */
export interface AppDocument {
  generatedAt: string;
  history: HistoryHealth;
  status: AppStatus;
  /** The last pull request plan that planned or failed, with its masked diff. */
  lastPlan?: HistoryRecord;
  /** The drift check the drift shown comes from, with its masked diff. */
  lastCheck?: HistoryRecord;
  /** The newest runs first (paged through `/api/v1/runs`). */
  runs: RunSummary[];
  /** The latest failure among the runs listed, with its hint. */
  lastFailure?: RunSummary;
}

/** The summary of a stored record. */
export function summaryOf(record: HistoryRecord): RunSummary {
  return {
    id: record.id ?? 0,
    kind: record.kind,
    trigger: record.trigger,
    outcome: record.outcome,
    ...(record.commit ? { commit: record.commit } : {}),
    ...(record.pullRequest !== undefined ? { pullRequest: record.pullRequest } : {}),
    ...(record.target ? { target: record.target } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.failure ? { failure: record.failure } : {}),
    counts: record.counts,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
  };
}

/** The path segment of a repository (which holds a '/'). */
export function repoSegment(repo: string): string {
  return encodeURIComponent(repo);
}

/** Where an app's page and API document are. */
export function appLinks(repo: string, app: string): AppStatus['links'] {
  const path = `${repoSegment(repo)}/${encodeURIComponent(app)}`;
  return { page: `/apps/${path}`, api: `/api/v1/apps/${path}` };
}

function syncOf(result: HistoryRecord | undefined): SyncState {
  switch (result?.outcome) {
    case 'applied':
    case 'healed':
    case 'in-sync':
      return 'synced';
    case 'drifted':
      return 'drifted';
    case 'failed':
    case 'error':
      return 'failed';
    case 'held':
      return 'held';
    default:
      return 'unknown';
  }
}

/** How a run kept out by another holder's lease says who it was (`lib/apply/lease.ts`). */
const LEASE_HELD = /the app is being applied by ([^\s;,()]+)/;

/** The status of one app from its history and what runs now. */
export function appStatusOf(entry: AppHistory, live: readonly LiveJob[]): AppStatus {
  const { lastRun, lastResult, lastApplied, lastCheck } = entry;
  const target =
    lastRun?.target ?? lastResult?.target ?? lastApplied?.target ?? entry.lastPlan?.target;
  // Drift is news until a later run applied the app again.
  const driftCurrent =
    lastCheck !== undefined &&
    (lastCheck.outcome === 'drifted' || lastCheck.kind === 'heal') &&
    (lastResult === undefined || (lastResult.id ?? 0) <= (lastCheck.id ?? 0));
  const running =
    live.find((job) => job.state === 'running') ?? live.find((job) => job.state === 'queued');
  const heldBy = lastResult?.failure ? LEASE_HELD.exec(lastResult.failure.message)?.[1] : undefined;
  const lease: AppStatus['lease'] = running
    ? { holder: running.holder, since: running.since, state: running.state }
    : heldBy && lastResult
      ? { holder: heldBy, since: lastResult.finishedAt, state: 'held-elsewhere' }
      : undefined;
  const appliedSha = lastApplied?.appliedSha;
  return {
    repo: entry.repo,
    app: entry.app,
    ...(target ? { target } : {}),
    ...(lastRun?.commit ? { head: lastRun.commit } : {}),
    ...(appliedSha
      ? {
          applied:
            lastApplied?.commit?.sha === appliedSha ? lastApplied.commit : { sha: appliedSha },
        }
      : {}),
    sync: syncOf(lastResult),
    health: lastResult?.health ?? lastApplied?.health ?? 'unknown',
    drift: driftCurrent ? (lastCheck?.drift ?? []) : [],
    healed: driftCurrent && lastCheck?.outcome === 'healed',
    ...(lease ? { lease } : {}),
    ...(lastRun ? { lastRun: summaryOf(lastRun) } : {}),
    links: appLinks(entry.repo, entry.app),
  };
}
