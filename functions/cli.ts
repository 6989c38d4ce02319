/**
 * The `plumbline` command line run from the sources: `node functions/cli.ts <command>`. The
 * npm package runs the bundle of `functions/plumbline.ts` instead, which checks the Node
 * version first. Commands and dispatch: `functions/cli/dispatch.ts`.
 */
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runProcess } from './cli/dispatch.ts';

export type { CliIo, CommandMain } from './cli/command.ts';
export { runCli, runProcess, usage } from './cli/dispatch.ts';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Cache compiled (type-stripped) modules between runs, as the package does.
  enableCompileCache();
  await runProcess();
}
