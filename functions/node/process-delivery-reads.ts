/**
 * The reads of each delivery, shared in this process by the webhook that received it and the
 * jobs it enqueued: on Node one process serves both, so a push's jobs reuse the trusted
 * configuration (and its head) the webhook just read instead of asking GitHub again.
 */
import { DeliveryReads } from '../../lib/jobs/delivery-reads.ts';

/** One per process (bounded, expiring; keyed by repository and delivery id). */
export const processDeliveryReads = new DeliveryReads();
