/**
 * The host pipeline's guards and failure paths against real shells: the local one (`sh` on
 * this machine) and OpenSSH. Each failure asserts the error names the host, the app and the
 * file, and that the destination is byte for byte what it was (nothing half-written, nothing
 * pruned).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localHostShell } from '../../../functions/node/local-host.ts';
import { nodeDial } from '../../../functions/node/ssh-socket.ts';
import { parseHostBindings } from '../../../lib/config/host-binding.ts';
import type { FilesAppConfig } from '../../../lib/config/repo-config.ts';
import { ConfigError, CredentialsError } from '../../../lib/errors.ts';
import { loadDesiredFiles } from '../../../lib/hosts/desired-files.ts';
import {
  applyFilesPlan,
  type FilesAppInput,
  HostError,
  planFilesApp,
} from '../../../lib/hosts/files-deploy.ts';
import { reachError } from '../../../lib/hosts/files-flows.ts';
import { createHostAccess } from '../../../lib/hosts/host-access.ts';
import type { HostShell } from '../../../lib/hosts/host-shell.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { sshKeygen, startSshd, type TestSshd } from '../../env/sshd.ts';

const REPO = 'acme/web';

/** Every file under `dir` with its bytes and mode: what "nothing changed" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    if (!existsSync(at)) return;
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else
        out[relative(dir, path)] =
          `${(stat.mode & 0o7777).toString(8)} ${readFileSync(path, 'hex')}`;
    }
  };
  walk(dir);
  return out;
}

function app(destination: string, extra: Partial<FilesAppConfig> = {}): FilesAppConfig {
  return {
    kind: 'files',
    name: 'site',
    path: 'site',
    target: 'box',
    destination,
    mode: 0o644,
    modes: [],
    branch: 'main',
    prune: true,
    selfHeal: false,
    adopt: false,
    ...extra,
  };
}

async function input(
  config: FilesAppConfig,
  files: Record<string, string>,
  revision = 'c0ffee'.padEnd(40, '0'),
): Promise<FilesAppInput> {
  const tree = new MemoryFileTree(
    Object.fromEntries(Object.entries(files).map(([path, text]) => [`site/${path}`, text])),
    revision,
  );
  return {
    repo: REPO,
    app: config,
    host: 'box',
    revision,
    desired: await loadDesiredFiles(tree, config, createSopsDecryptor()),
  };
}

async function deploy(
  shell: HostShell,
  config: FilesAppConfig,
  files: Record<string, string>,
  options = {},
) {
  const target = await input(config, files);
  const planned = await planFilesApp(shell, target);
  return applyFilesPlan(shell, target, planned, options);
}

describe('deploying files to the local host', () => {
  const shell = localHostShell();
  let dir: string;
  let dest: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumbline-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => {
    dest = join(dir, `dest-${n++}`);
    mkdirSync(dest);
    return dest;
  };

  it('writes the set with its modes, records the inventory and reports unchanged runs', async () => {
    const config = app(fresh(), { modes: [{ pattern: 'bin/*', mode: 0o755 }] });
    const first = await deploy(shell, config, { 'a.conf': 'a\n', 'bin/run': '#!/bin/sh\n' });
    expect(first).toMatchObject({ ok: true, wrote: true });
    expect(first.entries.map((e) => `${e.path} ${e.action}`)).toEqual([
      'a.conf created',
      'bin/run created',
    ]);
    expect(statSync(join(dest, 'bin/run')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, '.plumbline/site/inventory.json')).mode & 0o777).toBe(0o600);
    const again = await deploy(shell, config, { 'a.conf': 'a\n', 'bin/run': '#!/bin/sh\n' });
    expect(again).toMatchObject({ ok: true, wrote: false });
    expect(readdirSync(join(dest, '.plumbline/site'))).toEqual(['inventory.json']);
  });

  it('creates a missing destination readable by the service, and keeps its own state private', async () => {
    const config = app(join(fresh(), 'new', 'dir'));
    await deploy(shell, config, { 'conf.d/a.conf': 'a\n', 'secret.env': 'x' });
    const mode = (path: string) => statSync(join(dest, 'new', 'dir', path)).mode & 0o777;
    expect(mode('')).toBe(0o755);
    expect(mode('conf.d')).toBe(0o755);
    expect(mode('conf.d/a.conf')).toBe(0o644);
    expect(mode('.plumbline')).toBe(0o700);
    expect(mode('.plumbline/site')).toBe(0o700);
    expect(mode('.plumbline/site/inventory.json')).toBe(0o600);
  });

  it('writes repository content literally: shell syntax in a file is data, not a command', async () => {
    const config = app(fresh());
    const content = '$(touch pwned) `touch pwned2` \' " \\ ; rm -rf /\n';
    await deploy(shell, config, { 'x.conf': content });
    expect(readFileSync(join(dest, 'x.conf'), 'utf8')).toBe(content);
    expect(existsSync(join(dest, 'pwned'))).toBe(false);
    expect(existsSync('pwned')).toBe(false);
  });

  it('refuses to overwrite a file it does not own, naming it, and changes nothing', async () => {
    const config = app(fresh());
    writeFileSync(join(dest, 'site.conf'), 'hand made\n');
    const before = snapshot(dest);
    const error = await deploy(shell, config, { 'site.conf': 'from git\n' }).catch((e) => e);
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toBe(
      'host box (local), app site, file site.conf: exists on the host and Plumbline does not own it; remove or rename it there, or set adopt: true on the app to take it over',
    );
    expect(snapshot(dest)).toEqual(before);
    // The same content is taken over silently; adopt: true takes over a different one.
    await deploy(shell, { ...config, adopt: true }, { 'site.conf': 'from git\n' });
    expect(readFileSync(join(dest, 'site.conf'), 'utf8')).toBe('from git\n');
  });

  it('rolls back when reload fails, reloads again, and reports the output', async () => {
    const config = app(fresh(), {
      reload: 'test -f ok.flag || { echo "reload: no flag" >&2; exit 3; }',
    });
    writeFileSync(join(dest, 'ok.flag'), '');
    await deploy(shell, config, { 'a.conf': 'v1\n', 'b.conf': 'b\n' });
    rmSync(join(dest, 'ok.flag'));
    const before = snapshot(dest);
    const error = await deploy(shell, config, { 'a.conf': 'v2\n', 'c.conf': 'new\n' }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toContain(
      'host box (local), app site: reload failed; the previous files were put back but reloading them failed too:',
    );
    expect(error.message).toContain('reload: no flag');
    expect(snapshot(dest)).toEqual(before);
  });

  it('refuses a set validate rejects, before anything is swapped', async () => {
    const config = app(fresh(), {
      validate:
        'grep -q good {staged}/a.conf || { echo "bad config in $PLUMBLINE_STAGED" ; exit 1; }',
    });
    await deploy(shell, config, { 'a.conf': 'good\n' });
    const before = snapshot(dest);
    const error = await deploy(shell, config, { 'a.conf': 'evil\n', 'z.conf': 'z\n' }).catch(
      (e) => e,
    );
    expect(error.message).toMatch(
      /^host box \(local\), app site: validate refused the new files; the previous files are in place\nbad config in .*\/\.plumbline\/site\/staged\.[0-9a-f]+$/,
    );
    expect(snapshot(dest)).toEqual(before);
  });

  it('masks secret values in a failing command’s output', async () => {
    const config = app(fresh(), { validate: 'cat secret.env; exit 1' });
    const target = await input(config, { 'secret.env': 'TOKEN=s3cr3t-value-123\n' });
    // Mark it as a SOPS file would be: decrypted, hence sensitive.
    for (const file of target.desired.files) file.sensitive = true;
    const error = await applyFilesPlan(shell, target, await planFilesApp(shell, target)).catch(
      (e) => e,
    );
    expect(error.message).toContain('validate refused');
    expect(error.message).not.toContain('s3cr3t-value-123');
    expect(error.message).toContain('***');
  });

  it('prunes what left Git, but not a mass removal or an empty set without opt-in', async () => {
    const config = app(fresh());
    await deploy(shell, config, { 'a.conf': 'a', 'b.conf': 'b', 'c.conf': 'c', 'd/e.conf': 'e' });
    const pruned = await deploy(shell, config, { 'a.conf': 'a', 'b.conf': 'b', 'c.conf': 'c' });
    expect(pruned.ok).toBe(true);
    expect(existsSync(join(dest, 'd'))).toBe(false);
    const held = await deploy(shell, config, { 'a.conf': 'a' });
    expect(held.ok).toBe(false);
    expect(held.errors[0]).toContain(
      '2 of 3 owned files would be removed: more than half of the set',
    );
    expect(existsSync(join(dest, 'b.conf'))).toBe(true);
    const allowed = await deploy(shell, config, { 'a.conf': 'a' }, { allowMassPrune: true });
    expect(allowed.ok).toBe(true);
    expect(existsSync(join(dest, 'b.conf'))).toBe(false);
    // Git has no empty directories: an app whose only file is tooling deploys an empty set.
    const empty = await deploy(shell, config, { '.sops.yaml': 'creation_rules: []\n' }).catch(
      (e) => e,
    );
    expect(empty).toBeInstanceOf(HostError);
    expect(empty.message).toContain("the app's directory has no files");
    expect(existsSync(join(dest, 'a.conf'))).toBe(true);
  });

  it('keeps files that left Git when prune is off, and stops owning them', async () => {
    const config = app(fresh(), { prune: false });
    await deploy(shell, config, { 'a.conf': 'a', 'b.conf': 'b' });
    const result = await deploy(shell, config, { 'a.conf': 'a' });
    expect(result.entries).toContainEqual({
      path: 'b.conf',
      action: 'skipped',
      note: 'kept on the host, no longer owned (prune: false)',
    });
    expect(existsSync(join(dest, 'b.conf'))).toBe(true);
    const inventory = JSON.parse(
      readFileSync(join(dest, '.plumbline/site/inventory.json'), 'utf8'),
    );
    expect(Object.keys(inventory.files)).toEqual(['a.conf']);
  });

  it('reports a failed write naming the file, and puts the previous files back', async () => {
    const config = app(fresh());
    await deploy(shell, config, { 'a.conf': 'v1\n' });
    // A regular file where the new file's directory must go: no user can write through it.
    writeFileSync(join(dest, 'sub'), 'not a directory');
    const before = snapshot(dest);
    const error = await deploy(
      shell,
      { ...config, adopt: true },
      { 'a.conf': 'v2\n', 'sub/x.conf': 'x' },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toMatch(
      /^host box \(local\), app site, file sub\/x.conf: swapping the new files in failed; the previous files were put back\n.*cannot create directory/s,
    );
    expect(snapshot(dest)).toEqual(before);
  });

  it('reports a permission error of the deploy user, and changes nothing', async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test runs the deploy as nobody through runuser and needs root');
    }
    const config = app(fresh());
    await deploy(shell, config, { 'a.conf': 'v1\n' });
    chmodSync(dest, 0o755);
    const before = snapshot(dest);
    const nobody: HostShell = {
      label: 'local as nobody',
      run: (script, stdin) => {
        const result = spawnSync('runuser', ['-u', 'nobody', '--', '/bin/sh', '-c', script], {
          input: stdin,
          cwd: '/',
        });
        return Promise.resolve({
          code: result.status,
          stdout: new Uint8Array(result.stdout),
          stderr: new Uint8Array(result.stderr),
        });
      },
      stats: () => ({ connections: 0, roundTrips: 0, commands: 0 }),
      close: async () => undefined,
    };
    const error = await deploy(nobody, config, { 'a.conf': 'v2\n' }).catch((e) => e);
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toMatch(
      /^host box \(local as nobody\), app site: (cannot read the destination|could not prepare the new files).*Permission denied/s,
    );
    expect(snapshot(dest)).toEqual(before);
  });

  it('reports a full disk naming the file, and leaves the previous files', async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a 64 KiB tmpfs and needs root (CI runs as root)');
    }
    const config = app(fresh());
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dest]);
    try {
      await deploy(shell, config, { 'a.conf': 'v1\n' });
      const before = snapshot(dest);
      const big = 'x'.repeat(200 * 1024);
      const error = await deploy(shell, config, { 'a.conf': 'v2\n', 'big.bin': big }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(HostError);
      expect(error.message).toMatch(
        /^host box \(local\), app site(, file \S+)?: could not (receive|stage) the new files \(a full disk or a permission error\?\); the previous files are in place/,
      );
      expect(error.message).toMatch(/No space left on device/);
      expect(snapshot(dest)).toEqual(before);
    } finally {
      execFileSync('umount', [dest]);
    }
  });

  it('refuses a symbolic link where a file goes, and never writes through it', async () => {
    const config = app(fresh(), { adopt: true });
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'outside\n');
    execFileSync('ln', ['-s', outside, join(dest, 'a.conf')]);
    const error = await deploy(shell, config, { 'a.conf': 'pwned\n' }).catch((e) => e);
    expect(error.message).toContain('file a.conf: is a symbolic link on the host');
    expect(readFileSync(outside, 'utf8')).toBe('outside\n');
  });

  it('takes a lock, so a second deploy of the same app waits its turn', async () => {
    const config = app(fresh());
    await deploy(shell, config, { 'a.conf': 'v1\n' });
    mkdirSync(join(dest, '.plumbline/site/lock'));
    writeFileSync(join(dest, '.plumbline/site/lock/since'), String(Math.floor(Date.now() / 1000)));
    const error = await deploy(shell, config, { 'a.conf': 'v2\n' }).catch((e) => e);
    expect(error.message).toContain('another deploy of this app holds the lock on the host');
    expect(readFileSync(join(dest, 'a.conf'), 'utf8')).toBe('v1\n');
    // A stale lock (older than 15 minutes) is taken over.
    writeFileSync(join(dest, '.plumbline/site/lock/since'), '1');
    await deploy(shell, config, { 'a.conf': 'v2\n' });
    expect(readFileSync(join(dest, 'a.conf'), 'utf8')).toBe('v2\n');
  });

  it('refuses an inventory that belongs to another repository', async () => {
    const config = app(fresh());
    await deploy(shell, config, { 'a.conf': 'v1\n' });
    const target = await input(config, { 'a.conf': 'v2\n' });
    const error = await planFilesApp(shell, { ...target, repo: 'evil/other' }).catch((e) => e);
    expect(error.message).toContain(
      "these files belong to app 'site' of acme/web, not 'site' of evil/other",
    );
  });
});

describe('host access over SSH', () => {
  let sshd: TestSshd;
  let keys: string;
  let dest: string;
  let caPrivate: string;
  let userPrivate: string;
  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'plumbline-access-'));
    const [caFile, caLine] = sshKeygen(keys, 'ca');
    caPrivate = readFileSync(caFile, 'utf8');
    const [userFile, userLine] = sshKeygen(keys, 'user', 'ecdsa');
    userPrivate = readFileSync(userFile, 'utf8');
    sshd = await startSshd({ caLines: [caLine], keyLines: [userLine] });
    dest = join(keys, 'dest');
    mkdirSync(dest);
    chmodSync(keys, 0o755);
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(keys, { recursive: true, force: true });
  });
  const shells: HostShell[] = [];
  afterEach(async () => {
    for (const shell of shells.splice(0)) await shell.close();
  });

  function access(
    binding: Record<string, unknown> = {},
    extra: Partial<Parameters<typeof createHostAccess>[0]> = {},
  ) {
    const bindings = parseHostBindings(
      [
        {
          kind: 'ssh',
          name: 'box',
          host: sshd.host,
          port: sshd.port,
          hostKeys: [sshd.hostKey],
          user: sshd.user,
          credentials: { certificate: { caSecret: 'ca' } },
          repositories: [REPO],
          paths: [keys],
          ...binding,
        },
      ],
      'test',
    );
    return createHostAccess({
      bindings,
      secrets: new MemorySecretStore({ ca: caPrivate, key: userPrivate }),
      dial: nodeDial({ timeoutMs: 3_000 }),
      ...extra,
    });
  }
  const open = async (a: ReturnType<typeof access>, destination = dest) => {
    const shell = await a.open('box', { repo: REPO, app: 'site', destination });
    shells.push(shell);
    return shell;
  };
  const failure = async (shell: HostShell) => {
    const error = await deploy(shell, app(dest), { 'a.conf': 'x' }).catch((e) => e);
    return reachError(error, 'box', shell, 'site') as HostError;
  };

  it('deploys with a certificate minted per connection, in two round trips after the handshake', async () => {
    const shell = await open(access());
    const result = await deploy(shell, app(dest), { 'a.conf': 'over ssh\n' });
    expect(result.ok).toBe(true);
    expect(readFileSync(join(dest, 'a.conf'), 'utf8')).toBe('over ssh\n');
    expect(shell.stats()).toMatchObject({ connections: 1, commands: 2 });
    expect(sshd.log()).toContain('ID plumbline acme/web site via box');
  });

  it('logs in with a plain private key, the weaker choice', async () => {
    const shell = await open(access({ credentials: { privateKey: { secret: 'key' } } }));
    const result = await deploy(shell, app(dest), { 'a.conf': 'with a key\n' });
    expect(result.ok).toBe(true);
  });

  it('refuses an expired certificate', async () => {
    const shell = await open(access({}, { now: () => Date.now() - 3_600_000 }));
    const error = await failure(shell);
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toMatch(
      /^host box \(ssh \S+@127\.0\.0\.1:\d+\), app site: login refused: the server refused the login of '\S+' with the certificate/,
    );
    expect(sshd.log()).toMatch(/expired|outside validity/i);
  });

  it('refuses a certificate from a CA the host does not trust', async () => {
    const [otherCa] = sshKeygen(keys, 'other-ca');
    const a = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'box',
            host: sshd.host,
            port: sshd.port,
            hostKeys: [sshd.hostKey],
            user: sshd.user,
            credentials: { certificate: { caSecret: 'ca' } },
            repositories: [REPO],
            paths: [keys],
          },
        ],
        'test',
      ),
      secrets: new MemorySecretStore({ ca: readFileSync(otherCa, 'utf8') }),
      dial: nodeDial(),
    });
    const error = await failure(await open(a));
    expect(error.message).toContain('login refused');
    expect(error.hint).toContain('TrustedUserCAKeys');
  });

  it('refuses a changed host key before logging in', async () => {
    const other = sshKeygen(keys, 'rebuilt-host')[1];
    const error = await failure(await open(access({ hostKeys: [other] })));
    expect(error.message).toContain(
      'refused: the server presented a host key that is not pinned; nothing was changed',
    );
    expect(error.hint).toContain('pin its new key');
  });

  it('says which host cannot be reached', async () => {
    const error = await failure(await open(access({ port: 1 })));
    expect(error.message).toMatch(
      /^host box \(ssh \S+@127\.0\.0\.1:1\), app site: cannot be reached: .*ECONNREFUSED.*; nothing was changed$/,
    );
  });

  it('refuses a repository or a destination the binding does not allow', async () => {
    const a = access();
    await expect(
      a.open('box', { repo: 'evil/repo', app: 'site', destination: dest }),
    ).rejects.toThrow("app site: host binding 'box' does not allow the repository evil/repo");
    await expect(
      a.open('box', { repo: REPO, app: 'site', destination: '/etc' }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(a.open('nope', { repo: REPO, app: 'site', destination: dest })).rejects.toThrow(
      "app site: target 'nope' is not a host binding of this runtime",
    );
  });

  it('names the missing secret of a binding', async () => {
    const a = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'box',
            host: sshd.host,
            port: sshd.port,
            hostKeys: [sshd.hostKey],
            user: sshd.user,
            credentials: { certificate: { caSecret: 'missing-ca' } },
            repositories: [REPO],
            paths: [keys],
          },
        ],
        'test',
      ),
      secrets: new MemorySecretStore({}),
      dial: nodeDial(),
    });
    const shell = await open(a);
    const error = await deploy(shell, app(dest), { 'a.conf': 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toBe(
      "host binding box: the runtime holds no secret 'missing-ca' (the SSH certificate authority key)",
    );
  });

  it('refuses SSH hosts in a runtime without sockets, naming the Node runtime', async () => {
    const a = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'box',
            host: 'h.example.com',
            hostKeys: [sshd.hostKey],
            user: 'deploy',
            credentials: { privateKey: { secret: 'k' } },
            repositories: [REPO],
            paths: ['/srv'],
          },
        ],
        'test',
      ),
      secrets: new MemorySecretStore({}),
      runtime: 'Cloudflare Workers',
    });
    const error = await a
      .open('box', { repo: REPO, app: 'site', destination: '/srv/site' })
      .catch((e) => e);
    expect(error.message).toBe(
      'host binding box: SSH hosts cannot be reached from Cloudflare Workers',
    );
    expect(error.hint).toContain('Node runtime');
  });
});
