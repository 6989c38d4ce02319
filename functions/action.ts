/**
 * The GitHub Action's entry point (`action.yml`: `runs.main: dist/action/index.js`, built from
 * this file). Everything it does is in `functions/action/run-action.ts`; this only binds it to
 * the process. The runner runs it on Node 24, so no version check is needed.
 */
import { runAction } from './action/run-action.ts';

process.exitCode = await runAction(process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: false,
});
