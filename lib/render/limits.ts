/** Bounds that keep one render from exhausting the memory or time of a Worker. */

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
}

/** Defaults: generous for real repositories, small enough for a 128 MB Worker. */
export const defaultLimits: RenderLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxObjects: 20_000,
  maxAliasCount: 100,
  maxDepth: 32,
  maxFiles: 10_000,
  maxTotalBytes: 64 * 1024 * 1024,
};
