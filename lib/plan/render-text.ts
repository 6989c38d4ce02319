/**
 * The plan as a terminal shows it: a `kubectl diff`-like unified diff per changed object,
 * coloured when the output is a terminal, then a one-line summary.
 */
import { describeRef } from '../core/object.ts';
import type { Plan } from './plan.ts';

const colours = {
  red: '\x1b[31m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

function colourLine(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---'))
    return `${colours.bold}${line}${colours.reset}`;
  if (line.startsWith('+')) return `${colours.green}${line}${colours.reset}`;
  if (line.startsWith('-')) return `${colours.red}${line}${colours.reset}`;
  if (line.startsWith('@@')) return `${colours.cyan}${line}${colours.reset}`;
  return line;
}

/** One line: `2 to create, 1 to update, 0 to delete, 5 unchanged`. */
export function summaryLine(plan: Plan): string {
  const { create, update, delete: del, unchanged, errors } = plan.summary;
  const tail = errors > 0 ? `, ${errors} failing` : '';
  return `${create} to create, ${update} to update, ${del} to delete, ${unchanged} unchanged${tail}`;
}

/** Renders a plan as text; `colour` adds ANSI colours. */
export function renderPlanText(plan: Plan, options: { colour?: boolean } = {}): string {
  const out: string[] = [];
  for (const entry of plan.entries) {
    if (entry.error) out.push(`error: ${entry.error}\n`);
    if (!entry.diff) continue;
    const note = entry.note ? ` (${entry.note})` : '';
    out.push(`# ${entry.action} ${describeRef(entry.ref)}${note}\n`);
    for (const change of entry.changedBy ?? []) {
      out.push(`# ${change.path} was last set by ${change.managers.join(', ')}\n`);
    }
    const text = options.colour ? entry.diff.split('\n').map(colourLine).join('\n') : entry.diff;
    out.push(text);
  }
  out.push(`Plan for ${plan.app} at ${plan.revision.slice(0, 12)}: ${summaryLine(plan)}\n`);
  return out.join('');
}
