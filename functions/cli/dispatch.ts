/**
 * The dispatcher of `plumbline <command>`: the command table, the usage text, and running a
 * command with its arguments. Each command lives in `functions/cli/<command>.ts` and is loaded
 * only when used, so `plumbline render` never pays for the Kubernetes or GitHub clients.
 */
import { PlumblineError } from '../../lib/errors.ts';
import type { CliIo, CommandMain } from './command.ts';

interface Command {
  summary: string;
  load: () => Promise<{ main: CommandMain }>;
}

/** Every command, in the order `plumbline --help` lists them. */
const commands: Record<string, Command> = {
  render: { summary: 'print the YAML an app renders to', load: () => import('./render.ts') },
  plan: { summary: 'show what applying an app would change', load: () => import('./plan.ts') },
  apply: { summary: 'apply an app, prune what left it', load: () => import('./apply.ts') },
  unlock: {
    summary: "break an app's lease after a crashed apply",
    load: () => import('./unlock.ts'),
  },
  files: {
    summary: 'plan or deploy a files app to its host (SSH or local)',
    load: () => import('./files.ts'),
  },
  lock: {
    summary: "record remote Helm charts' digests in plumbline.lock.yaml",
    load: () => import('./lock.ts'),
  },
  serve: { summary: 'serve webhooks and run jobs (Node)', load: () => import('./serve.ts') },
  sweep: {
    summary: 'apply missed heads, report and heal drift',
    load: () => import('./sweep.ts'),
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
    "Run 'plumbline <command> --help' for a command's options,",
    "'plumbline --version' for the version and commit.",
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
  if (name === '--version' || name === '-V' || name === 'version') {
    const { versionLine } = await import('./version.ts');
    io.stdout(versionLine());
    return 0;
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

/** Runs the CLI as this process: its arguments, its stdout and stderr, its exit code. */
export async function runProcess(): Promise<void> {
  // A reader that stops early (`plumbline render app | head`) closes the pipe: end quietly, as
  // kustomize and kubectl do, instead of a stack trace for EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
