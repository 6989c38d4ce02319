/** The fields of a `push` delivery Plumbline reads, validated once. */
import * as z from 'zod';

/** What Plumbline needs from a push payload. */
export const PushEventSchema = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  /** The pushed commits with their file lists: validated by `push-scope.ts`, only a hint. */
  commits: z.unknown().optional(),
  repository: z.object({ full_name: z.string() }),
});

/** A validated push payload. */
export type PushEvent = z.infer<typeof PushEventSchema>;

/** What Plumbline needs from a `pull_request` payload (the job re-reads the rest). */
export const PullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  repository: z.object({ full_name: z.string() }),
});

/** A validated pull_request payload. */
export type PullRequestEvent = z.infer<typeof PullRequestEventSchema>;
