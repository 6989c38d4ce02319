/** The revision a command run on a local checkout records unless told one: the checkout's HEAD. */
import { execFileSync } from 'node:child_process';

/** `git rev-parse HEAD` in `dir`; `local` where `dir` is in no git checkout (or git is missing). */
export function checkoutRevision(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'local';
  }
}
