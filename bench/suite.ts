/**
 * What every benchmark suite gets and returns: `bench/run.ts` runs the suites one after the
 * other and prints their rows as one table.
 */
import type { PlumblineCli } from './measure/plumbline-cli.ts';
import type { Row } from './measure/table.ts';

/** Shared by the suites of one run. */
export interface SuiteContext {
  /** Fewer repetitions and smaller samples (a smoke run of the benchmark itself). */
  quick: boolean;
  /** A scratch directory removed after the run. */
  tmp: string;
  /** How to run `plumbline` as a process. */
  cli: PlumblineCli;
  /** Progress, to stderr. */
  log: (message: string) => void;
}

/** One suite: its rows, in the order they should print. */
export interface Suite {
  name: string;
  /** What it measures, for `--list`. */
  summary: string;
  run: (context: SuiteContext) => Promise<Row[]>;
}
