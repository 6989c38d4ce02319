/**
 * `Queue`: where the webhook and the sweep put work for the consumer. Workers Queues on
 * Cloudflare, an in-process queue on Node (`lib/jobs/job-queue.ts`).
 */

/** Options of one `send`. */
export interface SendOptions {
  /** Deliver no earlier than this many seconds from now. */
  delaySeconds?: number;
}

/** A queue of messages of type `T`; delivery is at-least-once and unordered. */
export interface Queue<T> {
  /** Enqueues a message. Resolves once the queue has accepted it. */
  send(message: T, options?: SendOptions): Promise<void>;
}

/** A queue that only records what was sent: for tests that check what would be enqueued. */
export class RecordingQueue<T> implements Queue<T> {
  /** Every message sent, in order, with its options. */
  readonly sent: { message: T; options: SendOptions }[] = [];

  async send(message: T, options: SendOptions = {}): Promise<void> {
    this.sent.push({ message, options });
  }
}
