/**
 * `SecretStore`: secrets the runtime holds by name (a target's bearer token, a TokenRequest
 * bootstrap credential). `plumbline.yaml` names them; their values never live in Git. Workers
 * secrets on Cloudflare; environment variables or the settings file on Node.
 */

/** Looks secrets up by name. */
export interface SecretStore {
  /** The secret's value, or `undefined` when the runtime holds no secret of that name. */
  get(name: string): Promise<string | undefined>;
}

/** A secret store over a fixed map: for tests, and for runtimes that load secrets at start-up. */
export class MemorySecretStore implements SecretStore {
  readonly #values: Map<string, string>;

  constructor(values: Record<string, string> = {}) {
    this.#values = new Map(Object.entries(values));
  }

  async get(name: string): Promise<string | undefined> {
    return this.#values.get(name);
  }

  /** The names held (never the values), for start-up logs. */
  names(): string[] {
    return [...this.#values.keys()].sort();
  }
}
