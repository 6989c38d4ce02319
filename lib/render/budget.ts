/**
 * The work budget of one render: every step that builds values (parsing, copying, merging)
 * spends from it, and the allowance grows with the bytes read. So the time and memory of a
 * render stay within a multiple of its input, whatever the repository holds.
 */
import { RenderError } from '../errors.ts';
import type { RenderLimits } from './limits.ts';

/** Counts the work of one render against its limits. */
export class RenderBudget {
  readonly #limits: RenderLimits;
  #bytesRead = 0;
  #spent = 0;

  constructor(limits: RenderLimits) {
    this.#limits = limits;
  }

  /** Work spent so far. */
  get spent(): number {
    return this.#spent;
  }

  /** Bytes read so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The work allowed with what has been read so far. */
  get allowance(): number {
    return Math.max(this.#limits.workFloor, this.#limits.workPerByte * this.#bytesRead);
  }

  /** Records bytes read (the allowance grows with them). */
  read(bytes: number): void {
    this.#bytesRead += bytes;
  }

  /** Spends `units` of work done for `file`; refuses once the allowance is exceeded. */
  spend(units: number, file: string): void {
    this.#spent += units;
    if (this.#spent > this.allowance) {
      throw new RenderError(
        `${file}: the render does more than ${this.#limits.workPerByte} times the work its ${this.#bytesRead} bytes of input justify (values copied or files parsed again and again)`,
        {
          file,
          hint: 'Look for JSON patch copies or replacements that feed each other, or a base included through many paths.',
        },
      );
    }
  }
}

/** A budget that never refuses, for callers outside a render (unit tests of one step). */
export function unlimitedBudget(): RenderBudget {
  return new RenderBudget({
    maxFileBytes: 0,
    maxObjects: 0,
    maxAliasCount: 0,
    maxDepth: 0,
    maxFiles: 0,
    maxTotalBytes: 0,
    workPerByte: 0,
    workFloor: Number.POSITIVE_INFINITY,
  });
}
