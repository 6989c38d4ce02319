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
  hint?: string;
  /** The file (repository-relative path) the error is about. */
  file?: string;
  /** 1-based line in `file`, when known (used for GitHub annotations). */
  line?: number;
  /** The Kubernetes object the error is about, e.g. `apps/v1 Deployment web/api`. */
  object?: string;
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

/** Pruning was refused by a guard or failed. */
export class PruneError extends PlumblineError {
  override readonly name = 'PruneError';
  constructor(message: string, options?: PlumblineErrorOptions) {
    super('prune', message, options);
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
  constructor(message: string, status: number, reason?: string, options?: PlumblineErrorOptions) {
    super('kube', message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** The GitHub API answered with an error. */
export class GitHubError extends PlumblineError {
  override readonly name = 'GitHubError';
  readonly status: number;
  constructor(message: string, status: number, options?: PlumblineErrorOptions) {
    super('github', message, options);
    this.status = status;
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
