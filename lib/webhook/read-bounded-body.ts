/**
 * Reads a request body up to a size bound and a deadline: `Content-Length` is checked first,
 * and bytes are counted while reading, since the header may be absent (chunked) or lie; a
 * body that trickles in (one byte a second) is cut off at the deadline instead of holding the
 * request, and its memory, open forever.
 *
 * A body over the bound is still read to its end and thrown away (up to `drainBytes`, within
 * the deadline), so the connection can carry the next request: answering early and leaving
 * the rest unread would make the server reset a keep-alive connection that a proxy shares
 * between clients. Only a body too large or too slow to drain ends its connection.
 */
import { ReadBoundExceeded, readBounded } from '../core/bounded-read.ts';
import { WebhookError } from '../errors.ts';

/** The most bytes read and discarded from a refused body: GitHub caps payloads at 25 MB. */
export const DEFAULT_DRAIN_BYTES = 25 * 1024 * 1024;

/** A refused body; `connectionReusable` says whether it was read to its end. */
export class BodyRefusedError extends WebhookError {
  /** False when unread bytes are left on the connection: it must be closed, not reused. */
  readonly connectionReusable: boolean;
  constructor(message: string, status: 408 | 413, connectionReusable: boolean, hint: string) {
    super(message, status, { hint });
    this.connectionReusable = connectionReusable;
  }
}

/** Options of `readBoundedBody`. */
export interface BodyBounds {
  maxBytes: number;
  /** The whole body must have arrived by then (default: no deadline). */
  timeoutMs?: number;
  /** A refused body is drained up to this many bytes (default `DEFAULT_DRAIN_BYTES`). */
  drainBytes?: number;
}

/** The body's bytes; throws `BodyRefusedError` 413 beyond the bound, 408 after the deadline. */
export async function readBoundedBody(request: Request, bounds: BodyBounds): Promise<Uint8Array> {
  const { maxBytes } = bounds;
  const timeoutMs = bounds.timeoutMs ?? Number.POSITIVE_INFINITY;
  const drainBytes = Math.max(bounds.drainBytes ?? DEFAULT_DRAIN_BYTES, maxBytes);
  const tooLarge = (reusable: boolean) =>
    new BodyRefusedError(
      `request body is larger than ${maxBytes} bytes`,
      413,
      reusable,
      'GitHub payloads are capped at 25 MB; raise the bound if a real delivery hit it.',
    );
  const tooSlow = () =>
    new BodyRefusedError(
      `request body did not arrive within ${timeoutMs} ms`,
      408,
      false,
      'Deliveries are small and fast; a body this slow is refused.',
    );
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > drainBytes) throw tooLarge(false);
  if (!request.body) {
    if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(true);
    return new Uint8Array();
  }
  const declaredOver = Number.isFinite(declared) && declared > maxBytes;
  let body: Uint8Array;
  try {
    body = await readBounded(request.body, { maxBytes, drainBytes, timeoutMs });
  } catch (error) {
    if (!(error instanceof ReadBoundExceeded)) throw error;
    if (error.bound === 'size') throw tooLarge(error.drained);
    // A body already past the bound when the deadline came is refused for its size.
    throw declaredOver || error.bytesRead > maxBytes ? tooLarge(false) : tooSlow();
  }
  // A declared length past the bound is refused even when fewer bytes came (it lied).
  if (declaredOver) throw tooLarge(true);
  return body;
}
