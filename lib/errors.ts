/**
 * Plumbline's error hierarchy. Every failure is a `PlumblineError` subclass named after the
 * pipeline stage that failed, whose message starts with the file or object concerned, carries
 * the underlying cause, and, where there is one, a hint telling the user what to do.
 *
 * Messages never contain secret values: callers pass names and paths, never data.
 */

/** The pipeline stages, in order; also used as the `stage` of every error. */
export type Stage =
  | 'config'
  | 'source'
  | 'render'
  | 'decrypt'
  | 'plan'
  | 'lease'
  | 'apply'
  | 'prune'
  | 'health'
  | 'report'
  | 'kube'
  | 'github'
  | 'credentials'
  | 'webhook';

/** Options shared by every Plumbline error. */
export interface PlumblineErrorOptions {
  /** The underlying error, kept for logs and debugging. */
  cause?: unknown;
  /** What the user can do about it, in one sentence. */
  hint?: string | undefined;
  /** The file (repository-relative path) the error is about. */
  file?: string | undefined;
  /** 1-based line in `file`, when known (used for GitHub annotations). */
  line?: number | undefined;
  /** The Kubernetes object the error is about, e.g. `apps/v1 Deployment web/api`. */
  object?: string | undefined;
}

/** Base class of every error Plumbline raises on purpose. */
export class PlumblineError extends Error {
  override readonly name: string = 'PlumblineError';
  /** The pipeline stage that failed. */
  readonly stage: Stage;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly object: string | undefined;

  constructor(stage: Stage, message: string, options: PlumblineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.stage = stage;
    this.hint = options.hint;
    this.file = options.file;
    this.line = options.line;
    this.object = options.object;
  }

  /** The message followed by the hint, as shown to users. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }

  /** Plain data for JSON output (an `Error`'s message is not enumerable); the cause stays out. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      stage: this.stage,
      message: this.message,
    };
    for (const key of ['hint', 'file', 'line', 'object'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}

/** `plumbline.yaml` is missing or invalid. */
export class ConfigError extends PlumblineError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('config', message, options);
  }
}

/** The repository content could not be read (missing commit, path escape, bad archive). */
export class SourceError extends PlumblineError {
  override readonly name = 'SourceError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('source', message, options);
  }
}

/** Manifests or a kustomization could not be rendered. */
export class RenderError extends PlumblineError {
  override readonly name = 'RenderError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('render', message, options);
  }
}

/** A SOPS file could not be decrypted or failed its MAC check. */
export class DecryptError extends PlumblineError {
  override readonly name = 'DecryptError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('decrypt', message, options);
  }
}

/** Planning (dry run, diff) failed. */
export class PlanError extends PlumblineError {
  override readonly name = 'PlanError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('plan', message, options);
  }
}

/** Applying an object failed. */
export class ApplyError extends PlumblineError {
  override readonly name = 'ApplyError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('apply', message, options);
  }
}

/** Pruning was refused by a guard (`refused`) or a deletion failed. */
export class PruneError extends PlumblineError {
  override readonly name = 'PruneError';
  /** True when a guard refused to prune (nothing failed: an opt-in is missing). */
  readonly refused: boolean;
  constructor(
    message: string,
    options: PlumblineErrorOptions & { refused?: boolean | undefined } = {},
  ) {
    super('prune', message, options);
    this.refused = options.refused ?? false;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), refused: this.refused };
  }
}

/**
 * The app's lease could not be taken (another run holds it), or was lost while applying
 * (renewal failed past its deadline, or someone broke it). Both pass: a later run takes it.
 */
export class LeaseError extends PlumblineError {
  override readonly name = 'LeaseError';
  /** The identity holding the lease, when another run holds it. */
  readonly holder: string | undefined;
  /** `held`: another run holds it; `lost`: this run lost it mid-way; `failed`: no answer. */
  readonly reason: 'held' | 'lost' | 'failed';
  constructor(
    message: string,
    reason: 'held' | 'lost' | 'failed',
    options: PlumblineErrorOptions & { holder?: string } = {},
  ) {
    super('lease', message, options);
    this.reason = reason;
    this.holder = options.holder;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      reason: this.reason,
      ...(this.holder ? { holder: this.holder } : {}),
    };
  }
}

/** Objects did not become healthy in time. */
export class HealthError extends PlumblineError {
  override readonly name = 'HealthError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('health', message, options);
  }
}

/** The Kubernetes API answered with an error. `status` is the HTTP status (0: no answer). */
export class KubeError extends PlumblineError {
  override readonly name = 'KubeError';
  readonly status: number;
  /** The `reason` of the Kubernetes `Status` object, e.g. `Conflict`, `Forbidden`. */
  readonly reason: string | undefined;
  /** Whether a retry may pass (the server was unavailable, not the request wrong). */
  readonly transient: boolean;
  constructor(
    message: string,
    status: number,
    reason?: string,
    options: PlumblineErrorOptions & { transient?: boolean | undefined } = {},
  ) {
    super('kube', message, options);
    this.status = status;
    this.reason = reason;
    this.transient = options.transient ?? (status === 0 || status === 429 || status >= 500);
  }
}

/** The GitHub API answered with an error. */
export class GitHubError extends PlumblineError {
  override readonly name = 'GitHubError';
  readonly status: number;
  /** Whether a retry may pass: GitHub was unavailable (5xx, no answer) or rate limited us. */
  readonly transient: boolean;
  /** How long GitHub asked to wait (`retry-after`, or until the rate limit resets). */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    status: number,
    options: PlumblineErrorOptions & { rateLimited?: boolean; retryAfterMs?: number } = {},
  ) {
    super('github', message, options);
    this.status = status;
    this.retryAfterMs = options.retryAfterMs;
    this.transient =
      options.rateLimited === true || status === 0 || status === 429 || status >= 500;
  }
}

/** A short-lived credential could not be obtained. */
export class CredentialsError extends PlumblineError {
  override readonly name = 'CredentialsError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('credentials', message, options);
  }
}

/** A webhook delivery was refused. `status` is the HTTP status to answer with. */
export class WebhookError extends PlumblineError {
  override readonly name = 'WebhookError';
  readonly status: number;
  constructor(message: string, status: number, options?: PlumblineErrorOptions) {
    super('webhook', message, options);
    this.status = status;
  }
}

/** The message of any thrown value, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
