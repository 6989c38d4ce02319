import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeDial } from '../../../functions/node/ssh-socket.ts';
import { signUserCertificate } from '../../../lib/hosts/ssh/certificate.ts';
import { SshConnection, SshError } from '../../../lib/hosts/ssh/client.ts';
import {
  formatPublicKey,
  generateEd25519Signer,
  parsePublicKey,
  signerFromPrivateKey,
} from '../../../lib/hosts/ssh/keys.ts';
import { sshKeygen, startSshd, type TestSshd } from '../../env/sshd.ts';

describe('the SSH client against OpenSSH', () => {
  let sshd: TestSshd;
  let keys: string;
  let caPrivate: string;
  let userPrivate: string;
  let userPublic: string;
  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'plumbline-keys-'));
    const [caFile, caLine] = sshKeygen(keys, 'ca');
    caPrivate = readFileSync(caFile, 'utf8');
    const [userFile, userLine] = sshKeygen(keys, 'user');
    userPrivate = readFileSync(userFile, 'utf8');
    userPublic = userLine;
    sshd = await startSshd({ caLines: [caLine], keyLines: [userLine] });
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(keys, { recursive: true, force: true });
  });

  it('runs a command with a minted certificate', async () => {
    const ca = await signerFromPrivateKey(caPrivate);
    const user = await generateEd25519Signer();
    const now = Math.floor(Date.now() / 1000);
    const certificate = await signUserCertificate(user.publicKey, ca, {
      keyId: 'test',
      principals: [sshd.user],
      validAfter: now - 60,
      validBefore: now + 300,
    });
    const socket = await nodeDial()(sshd.host, sshd.port);
    const connection = await SshConnection.connect({
      socket,
      hostKeys: [parsePublicKey(sshd.hostKey)],
      username: sshd.user,
      identity: { signer: user, certificate },
    });
    const result = await connection.exec(
      'cat; echo err >&2; exit 3',
      new TextEncoder().encode('hello'),
    );
    await connection.close();
    expect(new TextDecoder().decode(result.stdout)).toBe('hello');
    expect(new TextDecoder().decode(result.stderr)).toBe('err\n');
    expect(result.code).toBe(3);
    console.log(connection.stats);
  });

  it('logs in with a plain key', async () => {
    const signer = await signerFromPrivateKey(userPrivate);
    expect(formatPublicKey(signer.publicKey).split(' ').slice(0, 2)).toEqual(
      userPublic.split(' ').slice(0, 2),
    );
    const socket = await nodeDial()(sshd.host, sshd.port);
    const connection = await SshConnection.connect({
      socket,
      hostKeys: [parsePublicKey(sshd.hostKey)],
      username: sshd.user,
      identity: { signer },
    });
    const big = new Uint8Array(5_000_000).map((_, i) => i % 251);
    const result = await connection.exec('cat', big);
    await connection.close();
    expect(result.stdout.length).toBe(big.length);
    expect(result.stdout).toEqual(big);
  });

  it('refuses a host key that is not pinned', async () => {
    const other = sshKeygen(keys, 'other')[1];
    const socket = await nodeDial()(sshd.host, sshd.port);
    const error = await SshConnection.connect({
      socket,
      hostKeys: [parsePublicKey(other)],
      username: sshd.user,
      identity: { signer: await generateEd25519Signer() },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshError);
    expect((error as SshError).reason).toBe('host-key');
  });
});
