/**
 * Reads a request body up to a size bound: `Content-Length` is checked first, and bytes are
 * counted while reading, since the header may be absent (chunked) or lie.
 */
import { WebhookError } from '../errors.ts';

/** The body's bytes; throws `WebhookError` 413 when it exceeds `maxBytes`. */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new WebhookError(`request body is larger than ${maxBytes} bytes`, 413, {
      hint: 'GitHub payloads are capped at 25 MB; raise the bound if a real delivery hit it.',
    });
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
