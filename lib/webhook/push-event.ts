/** The fields of a `push` delivery Plumbline reads, validated once. */
import { z } from 'zod';

/** What Plumbline needs from a push payload. */
export const PushEventSchema = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string() }),
});

/** A validated push payload. */
export type PushEvent = z.infer<typeof PushEventSchema>;
