/**
 * Bounded concurrency for independent requests: plan's dry runs, apply's objects of one kind,
 * drift's checks. Results keep the order of the input, whatever order the tasks finish in.
 */

/** Runs `task` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await task(items[index] as T);
    }
  });
  await Promise.all(workers);
  return out;
}
