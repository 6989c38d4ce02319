/**
 * The Action's inputs, as the runner passes them: `with: { github-token: … }` becomes the
 * environment variable `INPUT_GITHUB-TOKEN` (name upper-cased, spaces to underscores),
 * trimmed, empty when not given. A missing or invalid input is refused by its name.
 */
import { ConfigError } from '../../lib/errors.ts';

/** What the Action does: plan pull requests, apply pushes, or sweep every app. */
export type ActionCommand = 'plan' | 'apply' | 'sweep';

/** The Action's inputs (action.yml lists and documents them). */
export interface ActionInputs {
  command: ActionCommand;
  /** The token the Action reads the repository and reports with (default `github.token`). */
  githubToken: string;
  /** Runtime settings file (as `plumbline serve --config`): target bindings, SOPS keys. */
  config?: string;
  /** Kubeconfig for targets with `kubeconfig` credentials (default `$KUBECONFIG`). */
  kubeconfig?: string;
  /** After applying, wait this long for rollouts (milliseconds). */
  waitMs?: number;
}

const COMMANDS: readonly ActionCommand[] = ['plan', 'apply', 'sweep'];

/** The environment variable the runner sets for input `name`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Input `name`, trimmed; undefined when empty or not given. */
function input(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[inputVariable(name)]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Record<string, string | undefined>, name: string, hint: string): string {
  const value = input(env, name);
  if (value === undefined) {
    throw new ConfigError(`input '${name}' is required and was not supplied`, { hint });
  }
  return value;
}

/** Reads and checks the inputs. Throws `ConfigError` naming the input at fault. */
export function actionInputs(env: Record<string, string | undefined>): ActionInputs {
  const command = required(
    env,
    'command',
    "Add 'with: { command: plan }' on pull_request workflows, 'apply' on push, 'sweep' on a schedule.",
  );
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new ConfigError(`input 'command': '${command}' is not one of plan, apply, sweep`, {
      hint: 'plan on pull_request, apply on push, sweep on schedule or workflow_dispatch.',
    });
  }
  const githubToken = required(
    env,
    'github-token',
    "Its default is the workflow's own token (github.token); set it in the step's 'with:' if your workflow cleared it.",
  );
  const wait = input(env, 'wait');
  let waitMs: number | undefined;
  if (wait !== undefined) {
    const seconds = Number(wait.replace(/s$/, ''));
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new ConfigError(`input 'wait': '${wait}' is not a number of seconds`, {
        hint: "Write e.g. 'wait: 300' to wait up to five minutes for rollouts.",
      });
    }
    waitMs = seconds * 1000;
  }
  const config = input(env, 'config');
  const kubeconfig = input(env, 'kubeconfig');
  return {
    command: command as ActionCommand,
    githubToken,
    ...(config ? { config } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(waitMs !== undefined ? { waitMs } : {}),
  };
}
