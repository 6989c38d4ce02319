/**
 * The `plumbline` command line: `plumbline <command> [options]`. Each command lives in
 * `functions/cli/<command>.ts` and is loaded only when used, so `plumbline render` never pays
 * for the Kubernetes or GitHub clients.
 */
import { fileURLToPath } from 'node:url';
import { PlumblineError } from '../lib/errors.ts';

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

interface Command {
  summary: string;
  load: () => Promise<{ main: CommandMain }>;
}

/** Every command, in the order `plumbline --help` lists them. */
const commands: Record<string, Command> = {
  render: { summary: 'print the YAML an app renders to', load: () => import('./cli/render.ts') },
  plan: { summary: 'show what applying an app would change', load: () => import('./cli/plan.ts') },
  apply: { summary: 'apply an app, prune what left it', load: () => import('./cli/apply.ts') },
  files: {
    summary: 'plan or deploy a files app to its host (SSH or local)',
    load: () => import('./cli/files.ts'),
  },
  serve: { summary: 'serve webhooks and run jobs (Node)', load: () => import('./cli/serve.ts') },
  sweep: {
    summary: 'apply missed heads, report and heal drift',
    load: () => import('./cli/sweep.ts'),
  },
};

/** The usage text. */
export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length), 6);
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    'Plumbline: a serverless GitOps reconciler.',
    '',
    'Usage: plumbline <command> [options]',
    '',
    'Commands:',
    ...(lines.length > 0 ? lines : ['  (none yet)']),
    '',
    "Run 'plumbline <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without the node and script paths); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`plumbline: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).main(args, io);
  } catch (error) {
    io.stderr(`${error instanceof PlumblineError ? error.describe() : String(error)}\n`);
    return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
