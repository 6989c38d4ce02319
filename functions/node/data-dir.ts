/**
 * Plumbline's data directory on Node: where it keeps what it writes for itself (the history
 * database; a demo repository). The `dataDir` setting, else `PLUMBLINE_DATA_DIR`, else
 * `$XDG_DATA_HOME/plumbline`, else `~/.local/share/plumbline` (the XDG default); under a
 * systemd unit with `StateDirectory=`, its `$STATE_DIRECTORY` comes before the XDG paths.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The data directory for these settings and this environment (not created here). */
export function dataDirectory(env: Record<string, string | undefined>, setting?: string): string {
  const given = setting ?? env.PLUMBLINE_DATA_DIR;
  if (given) return resolve(given);
  // systemd may list several directories, separated by ':'; the first is this service's.
  const state = env.STATE_DIRECTORY?.split(':')[0];
  if (state && isAbsolute(state)) return state;
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec ignores a relative XDG_DATA_HOME.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'plumbline');
  return join(env.HOME || homedir(), '.local', 'share', 'plumbline');
}
