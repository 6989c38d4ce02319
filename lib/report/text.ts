/**
 * The terminal surface: a plan as `kubectl diff` prints one, a change set as `kubectl apply`
 * lists it, a run record as one headline and its details. Colour only on a TTY; plain text
 * otherwise (logs, pipes, CI).
 */
import type { ChangeSet } from '../apply/apply.ts';
import { describeRef } from '../core/object.ts';
import type { Plan } from '../plan/plan.ts';
import type { RunRecord } from './outcomes.ts';
import type { Redacted } from './redacted.ts';
import { changeEntryNote, changeSetFailures, planSummaryLine } from './summary.ts';

/** Text options: ANSI colours (only when writing to a terminal). */
export interface TextOptions {
  colour?: boolean;
}

const colours = {
  red: '\x1b[31m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

// Control characters in text from a repository or a server could move the cursor or recolour
// the terminal: shown escaped, as `cat -v` would.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b]/g;

function plain(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function colourLine(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---'))
    return `${colours.bold}${line}${colours.reset}`;
  if (line.startsWith('+')) return `${colours.green}${line}${colours.reset}`;
  if (line.startsWith('-')) return `${colours.red}${line}${colours.reset}`;
  if (line.startsWith('@@')) return `${colours.cyan}${line}${colours.reset}`;
  return line;
}

/** A plan as text: a unified diff per changed object, errors, then a one-line summary. */
export function planText(plan: Redacted<Plan>, options: TextOptions = {}): string {
  const out: string[] = [];
  for (const entry of plan.entries) {
    if (entry.error) out.push(`error: ${plain(entry.error)}\n`);
    if (!entry.diff) continue;
    const note = entry.note ? ` (${entry.note})` : '';
    out.push(plain(`# ${entry.action} ${describeRef(entry.ref)}${note}`), '\n');
    for (const change of entry.changedBy ?? []) {
      out.push(plain(`# ${change.path} was last set by ${change.managers.join(', ')}`), '\n');
    }
    const diff = plain(entry.diff);
    out.push(options.colour ? diff.split('\n').map(colourLine).join('\n') : diff);
  }
  out.push(`Plan for ${plan.app} at ${plan.revision.slice(0, 12)}: ${planSummaryLine(plan)}\n`);
  return out.join('');
}

/** A change set as `kubectl apply` prints results: `kind/name action`, then the outcome. */
export function changeSetText(changes: Redacted<ChangeSet>, options: TextOptions = {}): string {
  const lines = changes.entries.map((e) =>
    plain(
      `${describeRef(e.ref)} ${e.action}${e.health ? ` (${e.health.message})` : ''}${changeEntryNote(e) ? `: ${changeEntryNote(e)}` : ''}`,
    ),
  );
  // Failures not tied to an object (a refused prune of the set, a lost lease), and warnings.
  for (const error of changes.errors.filter((e) => !changes.entries.some((x) => x.error === e))) {
    lines.push(plain(`error: ${error.message}`));
  }
  for (const warning of changes.warnings) lines.push(plain(`warning: ${warning.message}`));
  const failures = changeSetFailures(changes);
  const status = changes.ok ? 'applied' : `FAILED (${failures.length} error(s))`;
  const tail = `${changes.app} at ${changes.revision.slice(0, 12)}: ${status}`;
  const colour = changes.ok ? colours.green : colours.red;
  lines.push(options.colour ? `${colour}${tail}${colours.reset}` : tail);
  return `${lines.join('\n')}\n`;
}

/** A run record as the CLI lists it: `<repo> <app>: <what happened>`, then details. */
export function runRecordText(record: Redacted<RunRecord>): string {
  const name = plain(`${record.repo} ${record.app ?? `#${record.number ?? ''}`}`);
  const sha = record.sha?.slice(0, 7) ?? '';
  const lines: string[] = [];
  switch (record.status) {
    case 'skipped':
    case 'not-planned':
    case 'outdated':
      lines.push(`${name}: ${record.status.replace('-', ' ')}: ${record.reason ?? ''}`);
      break;
    case 'applied':
      lines.push(
        record.missedHead ? `${name}: applied the missed head ${sha}` : `${name}: applied ${sha}`,
      );
      break;
    case 'failed':
      lines.push(
        record.missedHead
          ? `${name}: apply failed ${sha}: ${record.failure?.message ?? ''}`
          : `${name}: failed: ${record.failure?.message ?? ''}`,
      );
      break;
    case 'held':
      lines.push(`${name}: ${sha} ${record.reason ?? 'held'}`);
      break;
    case 'planned':
      lines.push(`${name}: planned ${sha} (${record.conclusion ?? 'done'})`);
      break;
    case 'in-sync':
      lines.push(`${name}: in sync${record.issue === 'closed' ? ' (drift issue closed)' : ''}`);
      break;
    case 'drifted': {
      const healed = record.drift?.healed ?? record.filesDrift?.healed;
      const heal = healed ? `, ${healed.ok ? 'healed' : 'heal failed'}` : '';
      lines.push(`${name}: drifted (issue ${record.issue ?? 'not updated'}${heal})`);
      const report = record.drift?.report;
      for (const object of report?.drifted ?? []) {
        for (const field of object.fields) {
          const by = field.managers.join(', ') || 'unknown';
          lines.push(`  ${describeRef(object.ref)} ${field.path} changed by ${by}`);
        }
      }
      for (const ref of report?.missing ?? []) lines.push(`  missing ${describeRef(ref)}`);
      for (const ref of report?.extra ?? []) lines.push(`  extra ${describeRef(ref)}`);
      const files = record.filesDrift;
      for (const file of files?.files ?? []) {
        const what =
          file.action === 'create' ? 'missing' : file.action === 'delete' ? 'extra' : 'changed';
        const live = file.live
          ? ` (modified ${new Date(file.live.mtime * 1000).toISOString()} by ${file.live.owner})`
          : '';
        lines.push(`  ${what} ${files?.host}:${files?.destination}/${file.path}${live}`);
      }
      break;
    }
  }
  return `${lines.map(plain).join('\n')}\n`;
}
