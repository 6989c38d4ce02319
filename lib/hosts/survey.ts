/**
 * The survey: one read-only script, one round trip, that tells what is on the host for an app:
 * its inventory, and for every path Plumbline cares about (desired or owned) whether it is a
 * regular file, its SHA-256 (hashed on the host), modification time, owner and mode, plus the
 * content of the files whose hash differs from Git, so plans and drift reports can show a diff.
 * Plans, deploys and sweeps all start from it.
 *
 * The script needs a POSIX `sh` with `od`, `stat` and `sha256sum` (or `shasum`): coreutils
 * or busybox.
 */

import type { HostShell } from './host-shell.ts';
import { STATE_DIR } from './inventory.ts';
import { shellQuote } from './shell-quote.ts';

/** One path to look at. */
export interface SurveyProbe {
  path: string;
  /** The SHA-256 Git has for it (absent: a file Git no longer has). */
  expected?: string;
  /** Send the content back when it differs from `expected` (never for secret files). */
  fetch: boolean;
}

/** What the host has at one path. */
export type LivePath =
  | { path: string; state: 'missing' | 'symlink' | 'other' | 'unreadable' }
  | {
      path: string;
      state: 'file';
      sha256: string;
      /** Unix seconds. */
      mtime: number;
      owner: string;
      mode: number;
      /** The content, when it was asked for and differed. */
      content?: Uint8Array;
    };

/** The host's side of an app. */
export interface Survey {
  /** Whether the destination directory exists. */
  destinationExists: boolean;
  /** The inventory's bytes, when there is one. */
  inventory?: Uint8Array;
  paths: LivePath[];
}

/** The survey could not be read (a missing tool, an unexpected answer). */
export class SurveyError extends Error {
  override readonly name = 'SurveyError';
}

/** Largest file content sent back for a diff; bigger files are only hashed. */
const MAX_DIFF_BYTES = 512 * 1024;

/** The shell functions both the survey and the deploy script use. */
export const SHELL_PRELUDE = `
if command -v sha256sum >/dev/null 2>&1; then hash_of() { sha256sum < "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then hash_of() { shasum -a 256 < "$1" | cut -d' ' -f1; }
else echo "X the host has neither sha256sum nor shasum"; exit 3; fi
blob() { echo "B $1"; od -An -v -tx1 < "$2"; echo "E"; }
`;

/** The survey script for `destination` and `app` (both trusted: configuration and a DNS label). */
export function surveyScript(
  destination: string,
  app: string,
  probes: readonly SurveyProbe[],
): string {
  const lines = [
    'set -u',
    `D=${shellQuote(destination)}`,
    `I="$D/${STATE_DIR}/${app}/inventory.json"`,
    SHELL_PRELUDE,
    `probe() {
  f="$D/$2"
  if [ -L "$f" ]; then echo "H $1 symlink"; return; fi
  if [ ! -e "$f" ]; then echo "H $1 missing"; return; fi
  if [ ! -f "$f" ]; then echo "H $1 other"; return; fi
  if [ ! -r "$f" ]; then echo "H $1 unreadable"; return; fi
  h=$(hash_of "$f")
  m=$(stat -c '%Y %U %a' "$f" 2>/dev/null || stat -f '%m %Su %Lp' "$f")
  echo "H $1 file $h $m"
  if [ "$4" = 1 ] && [ "$h" != "$3" ]; then
    s=$(wc -c < "$f")
    if [ "$s" -le ${MAX_DIFF_BYTES} ]; then blob "$1" "$f"; fi
  fi
}`,
    'echo P1',
    'if [ -d "$D" ]; then echo "D 1"; else echo "D 0"; fi',
    'if [ -f "$I" ]; then blob inventory "$I"; fi',
    ...probes.map(
      (probe, i) =>
        `probe ${i} ${shellQuote(probe.path)} ${probe.expected ?? '-'} ${probe.fetch ? 1 : 0}`,
    ),
    'echo Z',
  ];
  return `${lines.join('\n')}\n`;
}

/** Decodes the `od -An -tx1` lines of a blob. */
function hexLines(lines: readonly string[]): Uint8Array {
  const digits = lines.join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/.test(digits)) throw new SurveyError('malformed file content');
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses the survey script's output for `probes`. */
export function parseSurvey(stdout: string, probes: readonly SurveyProbe[]): Survey {
  const lines = stdout.split('\n');
  const survey: Survey = { destinationExists: false, paths: [] };
  const live = new Map<number, LivePath>();
  let sawEnd = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const [tag, ...fields] = line.split(' ');
    if (tag === 'X') throw new SurveyError(fields.join(' '));
    if (tag === 'D') survey.destinationExists = fields[0] === '1';
    else if (tag === 'B') {
      const end = lines.indexOf('E', i + 1);
      if (end < 0) throw new SurveyError('unterminated file content');
      const bytes = hexLines(lines.slice(i + 1, end));
      i = end;
      if (fields[0] === 'inventory') survey.inventory = bytes;
      else {
        const entry = live.get(Number(fields[0]));
        if (entry?.state === 'file') entry.content = bytes;
      }
    } else if (tag === 'H') {
      const index = Number(fields[0]);
      const probe = probes[index];
      if (!probe) throw new SurveyError(`answer for an unknown path #${fields[0]}`);
      const state = fields[1];
      if (state === 'file') {
        const [sha256, mtime, owner, mode] = fields.slice(2);
        if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !mtime || !owner || !mode) {
          throw new SurveyError(`${probe.path}: unexpected answer '${line.slice(0, 120)}'`);
        }
        live.set(index, {
          path: probe.path,
          state: 'file',
          sha256,
          mtime: Number(mtime),
          owner,
          mode: Number.parseInt(mode, 8),
        });
      } else if (
        state === 'missing' ||
        state === 'symlink' ||
        state === 'other' ||
        state === 'unreadable'
      ) {
        live.set(index, { path: probe.path, state });
      } else {
        throw new SurveyError(`${probe.path}: unexpected answer '${line.slice(0, 120)}'`);
      }
    } else if (tag === 'Z') sawEnd = true;
  }
  if (!lines.includes('P1') || !sawEnd) {
    throw new SurveyError('the host did not run the whole survey');
  }
  survey.paths = probes.map(
    (probe, i) => live.get(i) ?? { path: probe.path, state: 'missing' as const },
  );
  if (live.size !== probes.length) throw new SurveyError('the host skipped some paths');
  return survey;
}

/** Runs the survey on `shell`. */
export async function runSurvey(
  shell: HostShell,
  destination: string,
  app: string,
  probes: readonly SurveyProbe[],
): Promise<Survey> {
  const result = await shell.run(surveyScript(destination, app, probes));
  const stdout = new TextDecoder().decode(result.stdout);
  if (result.code !== 0) {
    const why = stdout
      .split('\n')
      .find((l) => l.startsWith('X '))
      ?.slice(2);
    const stderr = new TextDecoder().decode(result.stderr).trim();
    throw new SurveyError(why ?? (stderr.split('\n').slice(-3).join(' ') || `exit ${result.code}`));
  }
  return parseSurvey(stdout, probes);
}
