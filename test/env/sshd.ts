/**
 * A real OpenSSH server for host-target tests (Debian's `openssh-server`, installed by
 * `install.sh hosts`): `sshd -D -e -f <config>` on a free loopback port, with a throwaway
 * Ed25519 host key, the test certificate authority in `TrustedUserCAKeys`, an
 * `AuthorizedKeysFile` for plain-key tests, its pid file and log under a temporary directory.
 * The login user is whoever runs the tests (sshd running as that user can only log them in).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { versions } from './paths.ts';
import {
  type Component,
  freePort,
  startComponent,
  TestEnvError,
  waitUntilReady,
} from './processes.ts';

/** A running sshd. */
export interface TestSshd {
  host: string;
  port: number;
  /** The user tests log in as (the one running them). */
  user: string;
  /** The server's host key, as `ssh-ed25519 AAAA...` (pin it). */
  hostKey: string;
  /** Where its config, keys and log live. */
  dir: string;
  logFile: string;
  /** Replaces the trusted CA keys (one `authorized_keys` line each). */
  trustCa(lines: string[]): void;
  /** Replaces the plain keys allowed to log in. */
  authorizeKeys(lines: string[]): void;
  /** The log so far (for asserting what sshd saw). */
  log(): string;
  stop(): Promise<void>;
}

/** The sshd binary, or a loud failure naming how to install it. */
export function sshdBinary(): string {
  const path = versions.SSHD_BINARY ?? '/usr/sbin/sshd';
  if (!existsSync(path)) {
    throw new TestEnvError(
      `test environment: ${path} is missing. Run 'bash test/env/install.sh hosts' as root (it installs Debian's openssh-server).`,
    );
  }
  return path;
}

/** A throwaway Ed25519 key pair made by ssh-keygen: `[private file, public line]`. */
export function sshKeygen(dir: string, name: string, type = 'ed25519'): [string, string] {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file], {
    stdio: 'ignore',
  });
  return [file, readFileSync(`${file}.pub`, 'utf8').trim()];
}

/** Starts sshd trusting `caLines` (authorized_keys lines of certificate authorities). */
export async function startSshd(
  options: { caLines?: string[]; keyLines?: string[] } = {},
): Promise<TestSshd> {
  const binary = sshdBinary();
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-sshd-'));
  const port = await freePort();
  const [hostKeyFile, hostKey] = sshKeygen(dir, 'host_ed25519');
  const caFile = join(dir, 'trusted_user_ca.pub');
  const keysFile = join(dir, 'authorized_keys');
  writeFileSync(caFile, `${(options.caLines ?? []).join('\n')}\n`);
  writeFileSync(keysFile, `${(options.keyLines ?? []).join('\n')}\n`);
  const logFile = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `TrustedUserCAKeys ${caFile}`,
      `AuthorizedKeysFile ${keysFile}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd running as root needs its privilege-separation directory (systemd makes it).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const component: Component = startComponent('sshd', binary, ['-D', '-e', '-f', config], logFile);
  await waitUntilReady(
    component,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString().startsWith('SSH-'));
        });
        socket.once('error', () => resolve(false));
      }),
    { timeoutMs: 20_000, port },
  );
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    hostKey,
    dir,
    logFile,
    trustCa: (lines) => writeFileSync(caFile, `${lines.join('\n')}\n`),
    authorizeKeys: (lines) => writeFileSync(keysFile, `${lines.join('\n')}\n`),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      await component.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
