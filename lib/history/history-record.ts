/**
 * A history record: one run of one app (a push deploy, a pull request plan, a sweep, a heal, a CLI
 * apply), as the history store keeps it and the status page and its API show it. Plain data,
 * masked before it is built (never a decrypted value), bounded in size (a run of thousands of
 * objects still makes a record of a few hundred KiB at most).
 */
import type { Stage } from '../errors.ts';

/** What kind of run it was. */
/** `unlock`: an operator broke the app's lease (`plumbline unlock --record`). */
export type RunKind = 'deploy' | 'plan' | 'sweep' | 'heal' | 'unlock';

/**
 * What started it: a push webhook, a pull request webhook, the sweep (timer or cron), the CLI
 * (`plumbline apply --record`), a Git source's poller, or another runtime source.
 */
export type RunTrigger = 'push' | 'pull_request' | 'sweep' | 'cli' | 'poll' | (string & {});

/** How it ended. `error`: it threw (a transient failure the queue retries, or a bug). */
export type RunOutcome =
  | 'applied'
  | 'skipped'
  | 'failed'
  | 'held'
  | 'error'
  | 'planned'
  | 'not-planned'
  | 'in-sync'
  | 'drifted'
  | 'healed'
  | 'unlocked';

/** The commit a run worked on. */
export interface RunCommit {
  sha: string;
  /** Author's name (or login), from the Git host when it can say. */
  author?: string;
  /** First line of the commit message. */
  title?: string;
  /** Where the commit is shown (GitHub's page), when the source has one. */
  url?: string;
}

/** One changed object or file: `Deployment.apps shop/web` `configured`, `nginx.conf` `update`. */
export interface RunChange {
  subject: string;
  action: string;
  error?: string;
}

/** One drifted field and the managers (or users) that changed it. */
export interface RunDriftField {
  subject: string;
  field: string;
  changedBy: string[];
}

/** A failure as users see it: the stage, a message naming the file or object, a hint. */
export interface RunFailure {
  stage: Stage | (string & {});
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  object?: string;
}

/** Rollout health the run measured (absent: not measured). */
export type RunHealth = 'healthy' | 'progressing' | 'degraded';

/** One run of one app, as stored. */
export interface HistoryRecord {
  /** Assigned by the store; absent before it is stored. */
  id?: number;
  /** Names the job run; the apps of one pull request plan share it. */
  runId: string;
  kind: RunKind;
  trigger: RunTrigger;
  /** `owner/name` (or the source's name for repositories that are not on GitHub). */
  repo: string;
  /** The app, or `plumbline.yaml` for a run that failed before any app was known. */
  app: string;
  /** The target binding the app deploys to, when the run got that far. */
  target?: string;
  /** The pull request a plan was for. */
  pullRequest?: number;
  commit?: RunCommit;
  /** The revision on the target when the run ended, when known (the applied commit). */
  appliedSha?: string | undefined;
  outcome: RunOutcome;
  /** Why it was skipped, not planned or held; what it did in a word otherwise. */
  reason?: string;
  /** Objects or files by action: `{ created: 2, unchanged: 5 }`, `{ update: 1 }`. */
  counts: Record<string, number>;
  /** Changed objects or files (unchanged ones are counted, not listed). */
  changes: RunChange[];
  /** How many changes were left out of `changes` to bound the record. */
  changesOmitted?: number;
  failure?: RunFailure;
  /** Drifted fields and who changed them (sweeps). */
  drift?: RunDriftField[];
  /** The masked unified diff of a plan or of drift, bounded. */
  diff?: string;
  health?: RunHealth;
  /** Who held the app's lease when the run could not take it. */
  leaseHolder?: string;
  /** ISO times and the duration in milliseconds. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** At most this many changes are listed in one record. */
export const MAX_LISTED_CHANGES = 500;

/** A record's diff is cut beyond this many characters, with a note. */
export const MAX_DIFF_CHARS = 200_000;

/** Messages, hints and reasons are cut beyond this many characters. */
export const MAX_TEXT_CHARS = 4_000;
