/**
 * One line of progress on a terminal, redrawn in place on stderr: a few lines over
 * `process.stderr` rather than a progress-bar library (cli-progress, ora and log-update each
 * bring 1 to 6 packages for what is one rewritten line here). Off a terminal it prints
 * nothing: pipes, CI logs and files get only the line-oriented results.
 */
import type { ApplyProgress } from '../../lib/apply/apply-progress.ts';

/** Where the line is drawn. */
export interface ProgressTerminal {
  write(text: string): void;
  /** True when stderr is a terminal; otherwise nothing is drawn. */
  isTTY: boolean;
  /** Width of the terminal (the line is cut to fit, so it never wraps). */
  columns?: number;
}

/** A redrawn line. */
export interface ProgressLine {
  /** Shows `text` (at most ~12 redraws a second; the last one always shows). */
  update(text: string): void;
  /** Erases the line, e.g. before printing a result to stdout. */
  clear(): void;
}

const ERASE = '\r\x1b[2K';
// Text from a repository or a server must not move the cursor: control characters go.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const REDRAW_MS = 80;

/** A progress line on `terminal`, or one that draws nothing when it is not a terminal. */
export function progressLine(
  terminal: ProgressTerminal,
  now: () => number = Date.now,
): ProgressLine {
  if (!terminal.isTTY) return { update() {}, clear() {} };
  let shown = false;
  let last = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let text = '';
  const draw = () => {
    pending = undefined;
    last = now();
    const width = Math.max(20, (terminal.columns ?? 80) - 1);
    const line = text.replace(CONTROL, ' ');
    terminal.write(`${ERASE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    shown = true;
  };
  return {
    update(next) {
      text = next;
      if (now() - last >= REDRAW_MS) draw();
      else pending ??= setTimeout(draw, REDRAW_MS - (now() - last));
    },
    clear() {
      if (pending) clearTimeout(pending);
      pending = undefined;
      if (shown) terminal.write(ERASE);
      shown = false;
    },
  };
}

/** An apply's progress as one line: `web: 12/40 objects applied`. */
export function applyProgressText(app: string, progress: ApplyProgress): string {
  switch (progress.stage) {
    case 'apply':
      return `${app}: ${progress.done}/${progress.total} objects applied`;
    case 'prune':
      return `${app}: ${progress.done}/${progress.total} pruned`;
    case 'health':
      return `${app}: ${progress.ready}/${progress.total} rollouts ready${progress.waitingFor ? `, waiting for ${progress.waitingFor}` : ''}`;
  }
}
