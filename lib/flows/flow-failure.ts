/** A failed stage as data: what users see in statuses, comments and check runs. */
import { messageOf, PlumblineError, type Stage } from '../errors.ts';
import type { FlowFailure } from '../report/outcomes.ts';

export type { FlowFailure } from '../report/outcomes.ts';

/** The failure `error` describes; `fallback` names the stage of an unexpected error. */
export function failureOf(error: unknown, fallback: Stage): FlowFailure {
  if (error instanceof PlumblineError) {
    return {
      stage: error.stage,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.file ? { file: error.file } : {}),
      ...(error.line ? { line: error.line } : {}),
      ...(error.object ? { object: error.object } : {}),
    };
  }
  return { stage: fallback, message: messageOf(error) };
}
