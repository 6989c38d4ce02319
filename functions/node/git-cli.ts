/**
 * Running the `git` command for Git sources: spawned without a shell (arguments are never
 * parsed by one), with a clean environment and a deadline. Git reads no system or user
 * configuration here (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`): no credential
 * helper, `insteadOf` rewrite or hook directory of the machine's git setup takes part. What
 * Plumbline sets instead comes through `GIT_CONFIG_*` variables (never the command line, where
 * other users could read a credential): hooks off, only the https, ssh and file transports, objects checked as they arrive, no prompts. SSH uses the operator's own
 * SSH setup (keys, agent, `known_hosts`) in batch mode: an unknown host key is a refusal.
 */
import { spawn } from 'node:child_process';
import { SourceError } from '../../lib/errors.ts';

/** What one git command printed. */
export interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** The deadline passed and git was killed. */
  timedOut: boolean;
}

/** How one git command runs. */
export interface GitRunOptions {
  /** The working directory (the source's cache repository, usually). */
  cwd: string;
  /** Killed after this long (default 60 s). */
  timeoutMs?: number;
  /** Written to git's standard input, then closed. */
  input?: string | Buffer;
  /** Standard output kept before git is killed (default 512 MiB). */
  maxOutputBytes?: number;
  /** Extra configuration, as `key=value` pairs (an https remote's Authorization header). */
  config?: Record<string, string>;
  /** The SSH command for an SSH remote with its own key and pinned host keys. */
  sshCommand?: string;
}

/** Configuration every git command of a Git source runs with. */
const BASE_CONFIG: Record<string, string> = {
  // A repository's hooks never run, whichever repository git works in.
  'core.hooksPath': '/dev/null',
  'core.fsmonitor': 'false',
  // An empty helper resets the list: no credential helper, whatever else is configured.
  'credential.helper': '',
  // Transports: only those a Git source may use (lib/config/git-remote.ts checks the URL;
  // a loopback http:// remote adds its own).
  'protocol.allow': 'never',
  'protocol.https.allow': 'always',
  'protocol.ssh.allow': 'always',
  'protocol.file.allow': 'always',
  // Hostile objects (paths with '..' or '.git', malformed trees) are refused as they arrive.
  'fetch.fsckObjects': 'true',
  'transfer.fsckObjects': 'true',
  'gc.auto': '0',
  'maintenance.auto': 'false',
  'advice.detachedHead': 'false',
};

/** The environment git runs with: nothing of Plumbline's own environment but what SSH needs. */
function gitEnvironment(config: Record<string, string>, sshCommand?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_OPTIONAL_LOCKS: '0',
    GCM_INTERACTIVE: 'never',
    GIT_SSH_COMMAND: sshCommand ?? 'ssh -o BatchMode=yes -o ConnectTimeout=20',
  };
  // SSH reads the operator's keys and known_hosts from HOME, and may use their agent.
  if (process.env.HOME) env.HOME = process.env.HOME;
  if (process.env.SSH_AUTH_SOCK) env.SSH_AUTH_SOCK = process.env.SSH_AUTH_SOCK;
  const entries = Object.entries({ ...BASE_CONFIG, ...config });
  env.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Runs `git <args>`; resolves with what it printed (a non-zero exit is not an error here). */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxOutput = options.maxOutputBytes ?? 512 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--literal-pathspecs', ...args], {
      cwd: options.cwd,
      env: gitEnvironment(options.config ?? {}, options.sshCommand),
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) child.kill('SIGKILL');
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Only the start of stderr is ever shown; a chatty remote cannot fill memory.
      if (stderr.reduce((n, b) => n + b.length, 0) < 64 * 1024) stderr.push(chunk);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new SourceError(`git: cannot run the git command: ${error.message}`, {
          hint: 'Install git (Debian: apt-get install git) and make sure it is on PATH.',
          cause: error,
        }),
      );
    });
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (size > maxOutput) {
        reject(new SourceError(`git ${args[0]}: printed more than ${maxOutput} bytes`));
        return;
      }
      resolve({
        code,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.end(options.input);
  });
}
