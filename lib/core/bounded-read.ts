/**
 * The one bounded stream reader: reads a byte stream to its end into one buffer, counting
 * bytes as they arrive (a declared length may be absent or lie), and gives up past a size
 * bound or a deadline, cancelling the stream. Callers turn `ReadBoundExceeded` into their own
 * stage's error; anything the stream itself throws passes through unchanged.
 */

/** Bounds of `readBounded`. */
export interface ReadBounds {
  /** The most bytes kept. */
  maxBytes: number;
  /**
   * Past `maxBytes`, bytes are still read and thrown away up to this many in all, so the
   * stream ends cleanly (a connection can be reused); default `maxBytes` (stop at once).
   */
  drainBytes?: number;
  /** The whole stream must have arrived by then (default: no deadline). */
  timeoutMs?: number;
}

/** A stream that passed its size bound or its deadline. */
export class ReadBoundExceeded extends Error {
  /** Which bound was passed. */
  readonly bound: 'size' | 'time';
  /** Bytes read before giving up. */
  readonly bytesRead: number;
  /** True when the stream was read to its end (a drained oversized body). */
  readonly drained: boolean;
  constructor(bound: 'size' | 'time', bytesRead: number, drained: boolean) {
    super(bound === 'size' ? 'stream larger than its bound' : 'stream slower than its deadline');
    this.name = 'ReadBoundExceeded';
    this.bound = bound;
    this.bytesRead = bytesRead;
    this.drained = drained;
  }
}

/** The stream's bytes; throws `ReadBoundExceeded` past `maxBytes` or `timeoutMs`. */
export async function readBounded(
  stream: ReadableStream<Uint8Array>,
  bounds: ReadBounds,
): Promise<Uint8Array> {
  const { maxBytes } = bounds;
  const drainBytes = Math.max(bounds.drainBytes ?? maxBytes, maxBytes);
  const timeoutMs = bounds.timeoutMs ?? Number.POSITIVE_INFINITY;
  const reader = stream.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = Number.isFinite(timeoutMs)
    ? new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      })
    : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await (deadline ? Promise.race([reader.read(), deadline]) : reader.read());
      if (next === 'timeout') throw new ReadBoundExceeded('time', total, false);
      if (next.done) break;
      total += next.value.byteLength;
      if (total > drainBytes) throw new ReadBoundExceeded('size', total, false);
      // Past the bound, bytes are read only to be thrown away.
      if (total <= maxBytes) chunks.push(next.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (total > maxBytes) throw new ReadBoundExceeded('size', total, true);
  return concatBytes(chunks, total);
}

/** `chunks` joined into one buffer (`total`: their summed length, when already known). */
export function concatBytes(
  chunks: readonly Uint8Array[],
  total: number = chunks.reduce((n, chunk) => n + chunk.byteLength, 0),
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
