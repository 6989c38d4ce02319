/**
 * `HostShell`: the port every host operation goes through. A host target runs POSIX `sh`
 * scripts that Plumbline writes (never text from a repository), each one a single round trip
 * with its input on stdin: over SSH on a session channel, or on the machine Plumbline runs on
 * (`local`). Plans, inventories and deploy steps live in `lib/hosts`; the adapters only move
 * bytes.
 */

/** What one script returned. */
export interface ShellResult {
  /** Exit status; `null` when killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** What talking to a host cost: the round-trip figures the closing note reports. */
export interface HostStats {
  /** Connections opened (SSH handshakes; 0 for local). */
  connections: number;
  /** Network round trips, handshakes included (0 for local). */
  roundTrips: number;
  /** Scripts run (one SSH session channel and `exec` each). */
  commands: number;
}

/** A shell on one host. */
export interface HostShell {
  /** Names the host in messages, e.g. `ssh plumbline@web-1.example.com:22` or `local`. */
  readonly label: string;
  /** Runs `script` with `sh`, feeding it `stdin`. Throws when the host cannot be reached. */
  run(script: string, stdin?: Uint8Array): Promise<ShellResult>;
  stats(): HostStats;
  close(): Promise<void>;
}
