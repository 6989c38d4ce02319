/**
 * The arguments of the commands that take app directories (`plumbline render`, `plumbline
 * lock`): `[--root DIR] DIR...` and `-h`/`--help`. Help goes to stdout and ends the command
 * with 0; a usage error goes to stderr with the command's help and ends it with 2, as in every
 * sub-command.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from './command.ts';

/** What a directory command tells the parser about itself. */
export interface DirectoryCommand {
  /** The sub-command, as its messages start: `plumbline <name>: ...`. */
  name: string;
  help: string;
  /** The usage error when no directory is named. */
  noDirectory: string;
}

/** The directories and `--root`, or the exit code when the command ends here. */
export type DirectoryArguments =
  | { values: { root: string | undefined }; positionals: string[] }
  | { exitCode: number };

/** Parses `[--root DIR] DIR...`; shows the help or the usage error itself. */
export function parseDirectoryArguments(
  args: string[],
  io: CliIo,
  command: DirectoryCommand,
): DirectoryArguments {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr(`plumbline ${command.name}: ${(error as Error).message}\n\n${command.help}`);
    return { exitCode: 2 };
  }
  if (parsed.values.help) {
    io.stdout(command.help);
    return { exitCode: 0 };
  }
  if (parsed.positionals.length === 0) {
    io.stderr(`plumbline ${command.name}: ${command.noDirectory}\n\n${command.help}`);
    return { exitCode: 2 };
  }
  return { values: { root: parsed.values.root }, positionals: parsed.positionals };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { root: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
}

/**
 * The nearest ancestor of `dir` (itself included) holding `.git`; outside a repository, the
 * working directory when `dir` is inside it, else `dir` itself.
 */
export function repositoryRoot(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) break;
  }
  const cwd = process.cwd();
  const inside = relative(cwd, dir);
  return inside === '..' || inside.startsWith(`..${sep}`) ? dir : cwd;
}
