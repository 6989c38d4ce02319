/**
 * Talking to the Actions runner: log lines, annotations (`::error::`), step outputs
 * (`$GITHUB_OUTPUT`) and the job summary (`$GITHUB_STEP_SUMMARY`). Messages carry names and
 * errors from the repository, which is hostile: a line break in one could start a workflow
 * command of its own (`::add-mask::`, `::stop-commands::`), so every message is escaped to a
 * single line first.
 */
import { appendFileSync } from 'node:fs';
import { type Logger, type LogLevel, redactFields } from '../../lib/ports/logger.ts';

/** `text` as workflow-command data: `%`, CR and LF escaped as the runner unescapes them. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** `text` as a workflow-command property value (`title=…`): also `:` and `,` escaped. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Where annotations point, when they point at a file. */
export interface AnnotationPlace {
  title?: string;
  file?: string;
  line?: number;
}

/** An annotation command: `::error file=…,line=…,title=…::message`. */
export function annotation(
  level: 'error' | 'warning' | 'notice',
  message: string,
  place: AnnotationPlace = {},
): string {
  const properties = [
    ...(place.file ? [`file=${escapeProperty(place.file)}`] : []),
    ...(place.line ? [`line=${place.line}`] : []),
    ...(place.title ? [`title=${escapeProperty(place.title)}`] : []),
  ];
  return `::${level}${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(message)}\n`;
}

/**
 * A logger for the runner's log: one line per entry, never starting with `::` and never
 * spanning lines; warnings and errors also become annotations on the run.
 */
export function actionsLogger(write: (text: string) => void): Logger {
  return {
    log(level: LogLevel, message: string, fields = {}) {
      if (level === 'debug') return;
      const extra =
        Object.keys(fields).length > 0 ? ` ${JSON.stringify(redactFields(fields))}` : '';
      if (level === 'warn' || level === 'error') {
        write(annotation(level === 'warn' ? 'warning' : 'error', `${message}${extra}`));
      } else {
        write(`plumbline: ${escapeData(message)}${escapeData(extra)}\n`);
      }
    },
  };
}

/**
 * Appends step output `name` to the `$GITHUB_OUTPUT` file, in the multi-line form with a
 * delimiter the value cannot contain.
 */
export function setOutput(file: string | undefined, name: string, value: string): void {
  if (!file) return;
  let delimiter = `plumbline_${crypto.randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `plumbline_${crypto.randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

/** Appends Markdown to the job summary (`$GITHUB_STEP_SUMMARY`). */
export function appendSummary(file: string | undefined, markdown: string): void {
  if (!file) return;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}
