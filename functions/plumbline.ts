/**
 * The `plumbline` executable of the npm package (`bin`), built to `dist/plumbline.js`. It
 * checks the Node version before anything else loads, so an old Node gets one line naming the
 * minimum rather than a syntax error from newer code; then it turns on Node's compile cache
 * (compiled code is reused across runs, which most of a small render's time would otherwise
 * be) and runs the CLI. Nothing here may use syntax newer than ES2017.
 */
import * as nodeModule from 'node:module';
import { nodeSupported, unsupportedNodeMessage } from './cli/node-version.ts';

if (!nodeSupported(process.versions.node)) {
  process.stderr.write(unsupportedNodeMessage(process.version));
  process.exitCode = 1;
} else {
  // Node 22.1+ has it; NODE_COMPILE_CACHE chooses the directory, NODE_DISABLE_COMPILE_CACHE=1
  // turns it off.
  nodeModule.enableCompileCache();
  import('./cli.ts').then(({ runProcess }) => runProcess());
}
