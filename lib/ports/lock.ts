/**
 * `Lock`: per-key mutual exclusion inside one deployment (a Durable Object per app on
 * Cloudflare, a promise chain on Node). It only saves wasted work: the ApplySet lease on the
 * cluster stays the authority on who may apply.
 */

/** Runs functions one at a time per key. */
export interface Lock {
  /** Runs `fn` once no other `fn` holds `key`, and releases the key when it settles. */
  withLock<R>(key: string, fn: () => Promise<R>): Promise<R>;
}

/** A `Lock` for one process: waiters queue in arrival order. */
export class MemoryLock implements Lock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    // The next waiter chains on this run whether it succeeds or fails.
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    try {
      return await run;
    } finally {
      // Forget the key when nobody queued behind us, so the map does not grow forever.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys currently held or waited for (for tests and the status page). */
  heldKeys(): string[] {
    return [...this.#tails.keys()];
  }
}
