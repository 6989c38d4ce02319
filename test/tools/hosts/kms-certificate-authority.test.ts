/**
 * The SSH certificate authority held in AWS KMS (moto from PyPI, the real AWS JSON protocol):
 * an ECC_NIST_P256 SIGN_VERIFY key signs each certificate with `Sign`, its key never leaving
 * KMS, and a real sshd that trusts the key's public half lets the deploy in.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localHostShell } from '../../../functions/node/local-host.ts';
import { nodeDial } from '../../../functions/node/ssh-socket.ts';
import { parseHostBindings } from '../../../lib/config/host-binding.ts';
import { createHostAccess } from '../../../lib/hosts/host-access.ts';
import { kmsCertificateAuthority } from '../../../lib/hosts/kms-certificate-authority.ts';
import { parseUserCertificate, signUserCertificate } from '../../../lib/hosts/ssh/certificate.ts';
import {
  formatPublicKey,
  generateEd25519Signer,
  p256PublicKeyFromSpki,
} from '../../../lib/hosts/ssh/keys.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { type Moto, motoAwsEnv, startMoto } from '../../env/moto.ts';
import { startSshd, type TestSshd } from '../../env/sshd.ts';

describe('an SSH certificate authority in AWS KMS', () => {
  let moto: Moto;
  let sshd: TestSshd;
  let keyId: string;
  let dir: string;
  const credentials = {
    accessKeyId: motoAwsEnv.AWS_ACCESS_KEY_ID,
    secretAccessKey: motoAwsEnv.AWS_SECRET_ACCESS_KEY,
  };

  beforeAll(async () => {
    moto = await startMoto();
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    const created = await kms.send(
      new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    );
    keyId = created.KeyMetadata?.Arn as string;
    const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId })))
      .PublicKey as Uint8Array;
    sshd = await startSshd({ caLines: [formatPublicKey(p256PublicKeyFromSpki(spki))] });
    dir = mkdtempSync(join(tmpdir(), 'plumbline-kms-ca-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs certificates that verify against the KMS public key', async () => {
    const ca = await kmsCertificateAuthority(keyId, { credentials, endpoint: moto.endpoint });
    expect(ca.publicKey.type).toBe('ecdsa-sha2-nistp256');
    const user = await generateEd25519Signer();
    const blob = await signUserCertificate(user.publicKey, ca, {
      keyId: 'kms test',
      principals: ['deploy'],
      validAfter: 1_000,
      validBefore: 2_000,
    });
    const certificate = await parseUserCertificate(blob);
    expect(certificate).toMatchObject({
      type: 'ssh-ed25519-cert-v01@openssh.com',
      certType: 1,
      keyId: 'kms test',
      principals: ['deploy'],
      validAfter: 1_000n,
      validBefore: 2_000n,
      extensions: [],
    });
    expect(certificate.signatureKey).toEqual(ca.publicKey.blob);
    expect(certificate.key).toEqual(user.publicKey.blob);
  });

  it('lets a deploy in through a real sshd trusting the KMS key', async () => {
    const access = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'box',
            host: sshd.host,
            port: sshd.port,
            hostKeys: [sshd.hostKey],
            user: sshd.user,
            credentials: { certificate: { kmsKeyId: keyId } },
            repositories: ['acme/web'],
            paths: [dir],
          },
        ],
        'test',
      ),
      secrets: new MemorySecretStore({}),
      dial: nodeDial(),
      local: () => localHostShell(),
      kms: { credentials, endpoint: moto.endpoint },
    });
    const shell = await access.open('box', { repo: 'acme/web', app: 'site', destination: dir });
    try {
      const result = await shell.run('echo "$(id -un) via kms"');
      expect(new TextDecoder().decode(result.stdout)).toBe(`${sshd.user} via kms\n`);
    } finally {
      await shell.close();
    }
    expect(sshd.log()).toMatch(
      /Accepted publickey .* ED25519-CERT .* ID plumbline acme\/web site via box .* CA ECDSA/,
    );
    expect(readFileSync(sshd.logFile, 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('refuses a KMS key that cannot sign SSH certificates', async () => {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    const rsa = await kms.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    );
    await expect(
      kmsCertificateAuthority(rsa.KeyMetadata?.Arn as string, {
        credentials,
        endpoint: moto.endpoint,
      }),
    ).rejects.toThrow(
      'the CA key must be ECC_NIST_P256 with usage SIGN_VERIFY (it is RSA_2048 / SIGN_VERIFY)',
    );
  });
});
