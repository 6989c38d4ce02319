/** A `CliIo` that captures what a command prints, for tests that run `runCli` in-process. */
import type { CliIo } from '../../functions/cli.ts';

/** The captured output and the `io` to hand to `runCli`. */
export function captureIo(): { out: { stdout: string; stderr: string }; io: CliIo } {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    isTTY: false,
  };
  return { out, io };
}
