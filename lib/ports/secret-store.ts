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
  readonly #values = new Map<string, string>();
  readonly #names: string[];
  readonly #normalize: (name: string) => string;

  /**
   * `normalize` maps names that must find the same secret to one key (on Node,
   * `staging-token` and `staging_token` both live in `PLUMBLINE_SECRET_STAGING_TOKEN`).
   */
  constructor(values: Record<string, string> = {}, normalize: (name: string) => string = (n) => n) {
    this.#normalize = normalize;
    this.#names = Object.keys(values).sort();
    for (const [name, value] of Object.entries(values)) this.#values.set(normalize(name), value);
  }

  async get(name: string): Promise<string | undefined> {
    return this.#values.get(this.#normalize(name));
  }

  /** The names held (never the values), for start-up logs. */
  names(): string[] {
    return [...this.#names];
  }
}
