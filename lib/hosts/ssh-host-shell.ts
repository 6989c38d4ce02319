/**
 * `HostShell` over SSH: connects on first use (pinned host key, a certificate or key from the
 * identity source), runs each script as `/bin/sh -c '<script>'` on its own session channel, and
 * counts what it cost. One connection serves every script of a job.
 */
import type { HostShell, HostStats, ShellResult } from './host-shell.ts';
import { shellQuote } from './shell-quote.ts';
import { type Dial, SshConnection, type SshIdentity } from './ssh/client.ts';
import type { SshPublicKey } from './ssh/keys.ts';

/** Where and how to log in. */
export interface SshHostOptions {
  host: string;
  port: number;
  user: string;
  hostKeys: readonly SshPublicKey[];
  /** A fresh identity per connection (a certificate minted for it, or the configured key). */
  identity: () => Promise<SshIdentity>;
  dial: Dial;
  /** Handshake deadline (default 15 s). */
  connectTimeoutMs?: number;
  /** Deadline of one script (default 5 min: a reload may restart a service). */
  commandTimeoutMs?: number;
}

/** A lazily connected SSH shell. */
export function sshHostShell(options: SshHostOptions): HostShell {
  const label = `ssh ${options.user}@${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  let connection: Promise<SshConnection> | undefined;
  let connections = 0;
  const open = async (): Promise<SshConnection> => {
    const socket = await options.dial(options.host, options.port);
    connections += 1;
    return SshConnection.connect({
      socket,
      hostKeys: options.hostKeys,
      username: options.user,
      identity: await options.identity(),
      ...(options.connectTimeoutMs ? { timeoutMs: options.connectTimeoutMs } : {}),
    });
  };
  let last: SshConnection | undefined;
  return {
    label,
    async run(script, stdin): Promise<ShellResult> {
      connection ??= open().then((c) => {
        last = c;
        return c;
      });
      let ssh: SshConnection;
      try {
        ssh = await connection;
      } catch (error) {
        connection = undefined;
        throw error;
      }
      return ssh.exec(`/bin/sh -c ${shellQuote(script)}`, stdin, {
        ...(options.commandTimeoutMs ? { timeoutMs: options.commandTimeoutMs } : {}),
      });
    },
    stats(): HostStats {
      return {
        connections,
        roundTrips: last?.stats.roundTrips ?? 0,
        commands: last?.stats.commands ?? 0,
      };
    },
    async close() {
      const current = connection;
      connection = undefined;
      if (current) await (await current.catch(() => undefined))?.close();
    },
  };
}
