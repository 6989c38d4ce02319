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

declare module 'cloudflare:sockets' {
  /** An outbound TCP socket (Workers `connect()`). */
  export interface Socket {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
    opened: Promise<unknown>;
    closed: Promise<void>;
    close(): Promise<void>;
  }
  /** Opens a TCP connection to `hostname:port`. */
  export function connect(address: { hostname: string; port: number }): Socket;
}
