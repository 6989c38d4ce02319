/** The `Queue` port over a Workers Queue producer binding. */
import type { Queue, SendOptions } from '../../lib/ports/queue.ts';

/** The part of a Workers `Queue` binding the producer uses. */
export interface QueueBinding<T> {
  send(message: T, options?: { contentType?: 'json'; delaySeconds?: number }): Promise<void>;
}

/** Sends jobs as JSON (they are plain data), so a consumer in any language could read them. */
export function workersQueue<T>(binding: QueueBinding<T>): Queue<T> {
  return {
    send(message: T, options: SendOptions = {}) {
      return binding.send(message, {
        contentType: 'json',
        ...(options.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}),
      });
    },
  };
}
