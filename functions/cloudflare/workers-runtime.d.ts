/**
 * The few declarations of the `cloudflare:workers` module Plumbline uses. The project type-checks
 * with DOM and Node types, which clash with `@cloudflare/workers-types`, so the Workers API is
 * described here structurally (see `worker-env.ts`) and only the module's exports are declared.
 */
declare module 'cloudflare:workers' {
  /** Base class of Durable Objects callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import('./worker-env.ts').DurableObjectContext;
    protected env: Env;
    constructor(ctx: import('./worker-env.ts').DurableObjectContext, env: Env);
  }
  /** The Worker's bindings, importable at module scope. */
  export const env: Record<string, unknown>;
}
