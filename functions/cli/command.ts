/**
 * What every `plumbline` sub-command is: an entry point taking its arguments and where to
 * write. The dispatcher (`functions/cli.ts`) loads sub-commands; sub-commands import only this,
 * so the two never import each other.
 */

/** Where a command writes; injected so tests can capture output. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdout is a terminal (colours allowed). */
  isTTY: boolean;
  /** True when stderr is a terminal: long commands draw their progress there. */
  stderrIsTTY?: boolean;
  /** Width of that terminal. */
  columns?: number;
}

/** A command's entry point: returns the process exit code. */
export type CommandMain = (args: string[], io: CliIo) => Promise<number>;
