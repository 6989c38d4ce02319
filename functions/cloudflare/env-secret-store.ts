/**
 * The `SecretStore` over Worker secrets: `plumbline.yaml`'s secret `staging-token` is the
 * Worker secret `PLUMBLINE_SECRET_STAGING_TOKEN` (`wrangler secret put`). Only that prefix is
 * readable, so a repository cannot name the Worker's own credentials (GITHUB_TOKEN, AWS keys).
 */
import type { SecretStore } from '../../lib/ports/secret-store.ts';
import { type EnvStrings, secretBindingName } from './settings.ts';

/** Looks secrets up in `env` under `PLUMBLINE_SECRET_<NAME>`. */
export function envSecretStore(env: EnvStrings): SecretStore {
  return {
    async get(name: string) {
      const value = env[secretBindingName(name)];
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
  };
}
