/**
 * What a server's settings lack to do anything useful: without webhook secrets every delivery
 * is refused, without repositories none is served, without target bindings no app can deploy,
 * without GitHub credentials nothing can be read from a private repository or reported. `plumbline serve` names them at start-up, and a
 * service (started with `PLUMBLINE_ENV_FILE`, as the systemd unit does) refuses to start
 * without them, naming the file its settings came from.
 */
import type { NodeSettings } from './settings.ts';

/** One missing setting: the variable to set, and what goes wrong without it. */
export interface MissingSetting {
  variable: string;
  consequence: string;
}

/** The settings `settings` lacks, in the order a reader would fix them. */
export function missingSettings(settings: NodeSettings): MissingSetting[] {
  const missing: MissingSetting[] = [];
  if (settings.webhookSecrets.length === 0) {
    missing.push({
      variable: 'PLUMBLINE_WEBHOOK_SECRETS',
      consequence: 'every webhook delivery is refused',
    });
  }
  if (settings.repositories.length === 0) {
    missing.push({ variable: 'PLUMBLINE_REPOSITORIES', consequence: 'no repository is served' });
  }
  if (settings.targets.length === 0) {
    missing.push({
      variable: 'PLUMBLINE_TARGETS (or targets in the settings file)',
      consequence: 'no app can deploy: apps name the targets the operator binds',
    });
  }
  if (!settings.githubToken && !settings.githubApp) {
    missing.push({
      variable: 'GITHUB_TOKEN (or PLUMBLINE_GITHUB_APP_ID and its private key)',
      consequence: 'private repositories cannot be read and nothing is reported to GitHub',
    });
  }
  return missing;
}

/** Where the settings came from, as a reader can check it: the files, else the environment. */
export function settingsSource(files: { envFile?: string; configFile?: string }): string {
  const read = [
    ...(files.envFile ? [`the environment file ${files.envFile}`] : []),
    ...(files.configFile ? [`the settings file ${files.configFile}`] : []),
  ];
  return read.length > 0 ? read.join(' and ') : 'the environment only (no settings file)';
}
