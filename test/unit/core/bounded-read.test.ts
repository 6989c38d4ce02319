/** The one bounded stream reader: size bound, drain, deadline, and errors passed through. */
import { describe, expect, it } from 'vitest';
import { concatBytes, ReadBoundExceeded, readBounded } from '../../../lib/core/bounded-read.ts';

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      onCancel?.();
    },
  });
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('readBounded', () => {
  it('joins the chunks of a stream within its bound', async () => {
    const out = await readBounded(streamOf([bytes(3, 1), bytes(2, 2)]), { maxBytes: 5 });
    expect([...out]).toEqual([1, 1, 1, 2, 2]);
  });

  it('gives up past the bound and cancels the stream', async () => {
    let cancelled = false;
    const read = readBounded(
      streamOf([bytes(4), bytes(4), bytes(4)], () => {
        cancelled = true;
      }),
      { maxBytes: 5 },
    );
    await expect(read).rejects.toMatchObject({ bound: 'size', drained: false, bytesRead: 8 });
    expect(cancelled).toBe(true);
  });

  it('drains an oversized stream to its end when asked, then refuses it', async () => {
    const read = readBounded(streamOf([bytes(4), bytes(4)]), { maxBytes: 5, drainBytes: 100 });
    await expect(read).rejects.toBeInstanceOf(ReadBoundExceeded);
    await expect(
      readBounded(streamOf([bytes(4), bytes(4)]), { maxBytes: 5, drainBytes: 100 }),
    ).rejects.toMatchObject({ bound: 'size', drained: true, bytesRead: 8 });
  });

  it('gives up at the deadline when the stream stalls', async () => {
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes(2));
      },
    });
    await expect(readBounded(stalled, { maxBytes: 10, timeoutMs: 20 })).rejects.toMatchObject({
      bound: 'time',
      bytesRead: 2,
      drained: false,
    });
  });

  it('passes the stream’s own errors through unchanged', async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new TypeError('connection reset'));
      },
    });
    await expect(readBounded(broken, { maxBytes: 10 })).rejects.toThrow('connection reset');
  });
});

describe('concatBytes', () => {
  it('joins views by their own bytes', () => {
    const base = Uint8Array.of(9, 1, 2, 9);
    expect([...concatBytes([base.subarray(1, 3), Uint8Array.of(3)])]).toEqual([1, 2, 3]);
    expect(concatBytes([])).toEqual(new Uint8Array());
  });
});
