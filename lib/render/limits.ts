/**
 * Bounds that keep one render from exhausting the memory or time of its runtime. Everything a
 * render reads comes from a repository, so each bound is a refusal with a clear error, never a
 * hang: sizes and counts of what is read, and a budget of work relative to the bytes read.
 */

/** The sandbox limits of one render. */
export interface RenderLimits {
  /** Largest file read, in bytes. */
  maxFileBytes: number;
  /** Most objects in the output or in any accumulated set. */
  maxObjects: number;
  /** Most YAML alias nodes expanded in one document (billion-laughs guard). */
  maxAliasCount: number;
  /** Deepest nesting of kustomizations (bases, components, resources directories). */
  maxDepth: number;
  /** Most files read in one render. */
  maxFiles: number;
  /** Most bytes read in one render, all files together. */
  maxTotalBytes: number;
  /**
   * Work allowed per byte read. Work counts YAML characters parsed (a base built twice is
   * parsed twice) and values built by copying (patch values, merged fields, replacements), so
   * amplification (copy chains, replacements feeding each other, bases included through many
   * paths) is refused instead of growing exponentially.
   */
  workPerByte: number;
  /** Work always allowed, however small the input (a small app may still patch many objects). */
  workFloor: number;
}

/** Defaults for Node (the CLI and `plumbline serve`): generous for real repositories. */
export const defaultLimits: RenderLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxObjects: 20_000,
  maxAliasCount: 100,
  maxDepth: 32,
  maxFiles: 10_000,
  maxTotalBytes: 64 * 1024 * 1024,
  workPerByte: 32,
  workFloor: 2_000_000,
};

/**
 * Limits for a Cloudflare Worker (128 MB per isolate, shared with the runtime and the job):
 * with peak render memory measured near 10 times the input, 8 MB of input stays well inside.
 */
export const workersLimits: RenderLimits = {
  ...defaultLimits,
  maxFileBytes: 2 * 1024 * 1024,
  maxObjects: 5_000,
  maxFiles: 2_000,
  maxTotalBytes: 8 * 1024 * 1024,
  workFloor: 1_000_000,
};
