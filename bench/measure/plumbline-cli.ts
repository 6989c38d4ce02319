/**
 * Which `plumbline` the benchmarks run as a process: the bundled CLI when the repository can
 * build one (`scripts/build.ts`, what the npm package ships), else the TypeScript sources run by
 * Node (which strips types at every start, a cost an installed CLI does not pay). The label goes
 * into every row that runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How to start the CLI. */
export interface PlumblineCli {
  command: string;
  /** Arguments before the sub-command. */
  args: string[];
  /** For the report: which build ran. */
  label: string;
}

const repository = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the CLI into `dir` when the repository has a build, and says how to run it. */
export function plumblineCli(dir: string): PlumblineCli {
  const build = join(repository, 'scripts', 'build.ts');
  if (existsSync(build)) {
    const out = join(dir, 'dist');
    const result = spawnSync(process.execPath, [build, out], {
      cwd: repository,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) {
      throw new Error(`building the CLI failed: ${result.stderr || result.stdout}`);
    }
    return {
      command: process.execPath,
      args: [join(out, 'plumbline.js')],
      label: 'bundled CLI (scripts/build.ts)',
    };
  }
  return {
    command: process.execPath,
    args: [join(repository, 'functions', 'cli.ts')],
    label: 'TS sources (node strips types at start)',
  };
}
