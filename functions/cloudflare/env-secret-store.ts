/**
 * The `SecretStore` over Worker secrets: the secret `staging-token` a binding or repository
 * entry of the settings names is the Worker secret `PLUMBLINE_SECRET_STAGING_TOKEN`
 * (`wrangler secret put`). Only that prefix is readable, so no setting can name the Worker's
 * own credentials (GITHUB_TOKEN, AWS keys); repositories name no secrets at all.
 */
import type { SecretStore } from '../../lib/ports/secret-store.ts';
import { type EnvStrings, secretBindingName } from './settings.ts';

/** Looks secrets up in `env` under `PLUMBLINE_SECRET_<NAME>`. */
export function envSecretStore(env: EnvStrings): SecretStore {
  return {
    async get(name: string) {
      const variable = secretBindingName(name);
      // Own properties only: a name such as `constructor` must not reach a prototype.
      const value = Object.hasOwn(env, variable) ? env[variable] : undefined;
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
  };
}
