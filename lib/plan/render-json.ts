/** The plan as JSON for machines: the `Plan` value itself (already masked, plain data). */
import type { Plan } from './plan.ts';

/** Renders a plan as indented JSON with a trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
