/**
 * Reads shared by the jobs of one delivery. A push fans out into one job per app it can
 * affect, and a sweep into one per app; each job resolves its app against the trusted
 * configuration and the branch head. Those reads are the same for every job of the delivery
 * (and for the webhook that received it, when it runs in the same process), so the runtime
 * shares them: a sweep of 200 apps reads the trusted branch and its head once, not 200 times.
 *
 * Sharing is by delivery, never by time alone: a newer push is a new delivery and reads
 * afresh, so a job never deploys an older head than the push that caused it. Entries expire
 * (a delivery's jobs run within seconds; a retry much later reads again), a failed read is
 * not kept, and the map is bounded.
 */

/** Options of `DeliveryReads`. */
export interface DeliveryReadsOptions {
  /** How long a delivery's reads are shared (default 60 s). */
  ttlMs?: number;
  /** Most entries kept; the oldest go first (default 1,024). */
  maxEntries?: number;
  now?: () => number;
}

/** A bounded memo of promises keyed by delivery and what was read. */
export class DeliveryReads {
  readonly #entries = new Map<string, { at: number; value: Promise<unknown> }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: DeliveryReadsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 1_024;
    this.#now = options.now ?? Date.now;
  }

  /** The shared result of `load` for this delivery and key; `load` runs once per both. */
  read<T>(delivery: string, key: string, load: () => Promise<T>): Promise<T> {
    const id = `${delivery}\u0000${key}`;
    const now = this.#now();
    const known = this.#entries.get(id);
    if (known && now - known.at < this.#ttlMs) return known.value as Promise<T>;
    this.#entries.delete(id);
    const value = load();
    this.#entries.set(id, { at: now, value });
    value.catch(() => {
      if (this.#entries.get(id)?.value === value) this.#entries.delete(id);
    });
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && now - entry.at < this.#ttlMs) break;
      this.#entries.delete(oldest);
    }
    return value;
  }

  /** How many entries are kept (for tests). */
  get size(): number {
    return this.#entries.size;
  }
}
