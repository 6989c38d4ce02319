/**
 * Reads a request body up to a size bound and a deadline: `Content-Length` is checked first,
 * and bytes are counted while reading, since the header may be absent (chunked) or lie; a
 * body that trickles in (one byte a second) is cut off at the deadline instead of holding the
 * request, and its memory, open forever.
 */
import { WebhookError } from '../errors.ts';

/** The body's bytes; throws `WebhookError` 413 beyond `maxBytes`, 408 after `timeoutMs`. */
export async function readBoundedBody(
  request: Request,
  maxBytes: number,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new WebhookError(`request body is larger than ${maxBytes} bytes`, 413, {
      hint: 'GitHub payloads are capped at 25 MB; raise the bound if a real delivery hit it.',
    });
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = Number.isFinite(timeoutMs)
    ? new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new WebhookError(`request body did not arrive within ${timeoutMs} ms`, 408, {
                hint: 'Deliveries are small and fast; a body this slow is refused.',
              }),
            ),
          timeoutMs,
        );
      })
    : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await (deadline
        ? Promise.race([reader.read(), deadline])
        : reader.read());
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
