import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUserCertificate, signUserCertificate } from '../../../lib/hosts/ssh/certificate.ts';
import {
  ecdsaSignatureFromDer,
  ecdsaSignatureFromP1363,
  fingerprint,
  formatPublicKey,
  generateEd25519Signer,
  parsePublicKey,
  signerFromPrivateKey,
  verifySignature,
} from '../../../lib/hosts/ssh/keys.ts';
import { SshFormatError, SshReader, SshWriter } from '../../../lib/hosts/ssh/wire.ts';

/** A DER INTEGER of a non-negative magnitude (leading zero when the high bit is set). */
function derInteger(value: Uint8Array): number[] {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const body = [...value.subarray(start)];
  if ((body[0] ?? 0) & 0x80) body.unshift(0);
  return [0x02, body.length, ...body];
}

describe('the SSH wire encoding', () => {
  it('round-trips every field type', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.stringMatching(/^[a-z0-9@.-]{1,12}$/), { maxLength: 5 }),
        (n, big, bytes, names) => {
          const blob = new SshWriter()
            .uint32(n)
            .uint64(big)
            .string(bytes)
            .mpint(bytes)
            .nameList(names)
            .bytes();
          const reader = new SshReader(blob);
          expect(reader.uint32()).toBe(n);
          expect(reader.uint64()).toBe(big);
          expect(reader.string()).toEqual(bytes);
          let start = 0;
          while (start < bytes.length && bytes[start] === 0) start++;
          expect(reader.mpint()).toEqual(bytes.slice(start));
          expect(reader.nameList()).toEqual(names);
          reader.end('blob');
        },
      ),
    );
  });

  it('writes mpints as RFC 4251 does', () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(hex(new SshWriter().mpint(new Uint8Array()).bytes())).toBe('00000000');
    expect(
      hex(
        new SshWriter()
          .mpint(Uint8Array.of(0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7))
          .bytes(),
      ),
    ).toBe('0000000809a378f9b2e332a7');
    expect(hex(new SshWriter().mpint(Uint8Array.of(0x80)).bytes())).toBe('000000020080');
  });

  it('refuses truncated data, trailing bytes and negative mpints', () => {
    expect(() => new SshReader(Uint8Array.of(0, 0, 0, 5, 1)).string()).toThrow(SshFormatError);
    expect(() => new SshReader(Uint8Array.of(0, 0, 0, 1, 0x80)).mpint()).toThrow('negative mpint');
    const reader = new SshReader(Uint8Array.of(1, 2));
    reader.byte();
    expect(() => reader.end('key')).toThrow('key: 1 unexpected trailing bytes');
  });
});

describe('SSH keys and signatures', () => {
  it('converts DER ECDSA signatures (AWS KMS) to the SSH form, like P1363 ones', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (r, s) => {
          const ri = derInteger(r);
          const si = derInteger(s);
          const der = Uint8Array.from([0x30, ri.length + si.length, ...ri, ...si]);
          const p1363 = new Uint8Array([...r, ...s]);
          expect(ecdsaSignatureFromDer(der)).toEqual(ecdsaSignatureFromP1363(p1363));
        },
      ),
    );
    expect(() => ecdsaSignatureFromDer(Uint8Array.of(0x30, 2, 2, 0, 9))).toThrow(SshFormatError);
  });

  it('parses, prints and fingerprints public keys, refusing mismatched types', async () => {
    const signer = await generateEd25519Signer('me');
    const line = formatPublicKey(signer.publicKey);
    expect(line).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+ me$/);
    expect(parsePublicKey(line)).toEqual(signer.publicKey);
    expect(await fingerprint(signer.publicKey.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(() => parsePublicKey(line.replace('ssh-ed25519', 'ecdsa-sha2-nistp256'))).toThrow(
      "the key says 'ecdsa-sha2-nistp256' but its data is a 'ssh-ed25519' key",
    );
    expect(() => parsePublicKey('ssh-dss AAAA')).toThrow("key type 'ssh-dss' is not supported");
  });

  it('verifies signatures only for the data and key they were made with', async () => {
    const signer = await generateEd25519Signer();
    const data = new TextEncoder().encode('exchange hash');
    const signature = await signer.sign(data);
    expect(await verifySignature(signer.publicKey.blob, signature, data)).toBe(true);
    expect(
      await verifySignature(signer.publicKey.blob, signature, new TextEncoder().encode('other')),
    ).toBe(false);
    const other = await generateEd25519Signer();
    expect(await verifySignature(other.publicKey.blob, signature, data)).toBe(false);
    expect(await verifySignature(signer.publicKey.blob, Uint8Array.of(1, 2, 3), data)).toBe(false);
  });

  it('signs with PKCS#8 P-256 and Ed25519 keys, and refuses encrypted or RSA keys', async () => {
    for (const algorithm of [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'Ed25519' }]) {
      const pair = (await crypto.subtle.generateKey(algorithm, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey)).toString(
        'base64',
      );
      const signer = await signerFromPrivateKey(
        `-----BEGIN PRIVATE KEY-----\n${der}\n-----END PRIVATE KEY-----\n`,
      );
      const data = new TextEncoder().encode('auth');
      expect(await verifySignature(signer.publicKey.blob, await signer.sign(data), data)).toBe(
        true,
      );
    }
    await expect(
      signerFromPrivateKey('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----'),
    ).rejects.toThrow("'RSA PRIVATE KEY' keys are not supported");
    const encrypted = Buffer.concat([
      Buffer.from('openssh-key-v1\0'),
      new SshWriter()
        .string('aes256-ctr')
        .string('bcrypt')
        .string(new Uint8Array(0))
        .uint32(1)
        .bytes(),
    ]).toString('base64');
    const error = await signerFromPrivateKey(
      `-----BEGIN OPENSSH PRIVATE KEY-----\n${encrypted}\n-----END OPENSSH PRIVATE KEY-----`,
    ).catch((e) => e);
    expect(error.message).toContain('encrypted with a passphrase');
    expect(error.message).not.toContain(encrypted.slice(0, 20));
  });
});

describe('OpenSSH user certificates', () => {
  it('carry one principal, a window and no extensions, and verify against the CA', async () => {
    const ca = await generateEd25519Signer('ca');
    const user = await generateEd25519Signer('user');
    const blob = await signUserCertificate(user.publicKey, ca, {
      keyId: 'plumbline acme/web nginx',
      principals: ['deploy'],
      validAfter: 100,
      validBefore: 400,
      criticalOptions: { 'source-address': '192.0.2.0/24' },
      serial: 7n,
    });
    const cert = await parseUserCertificate(blob);
    expect(cert).toMatchObject({
      type: 'ssh-ed25519-cert-v01@openssh.com',
      serial: 7n,
      certType: 1,
      principals: ['deploy'],
      validAfter: 100n,
      validBefore: 400n,
      criticalOptions: { 'source-address': '192.0.2.0/24' },
      extensions: [],
    });
    const tampered = blob.slice();
    tampered[tampered.length - 70] = (tampered[tampered.length - 70] ?? 0) ^ 1;
    await expect(parseUserCertificate(tampered)).rejects.toThrow(SshFormatError);
  });

  it('refuses to issue a certificate for any principal or for no time', async () => {
    const ca = await generateEd25519Signer();
    const user = await generateEd25519Signer();
    await expect(
      signUserCertificate(user.publicKey, ca, {
        keyId: 'x',
        principals: [],
        validAfter: 1,
        validBefore: 2,
      }),
    ).rejects.toThrow('empty means any user');
    await expect(
      signUserCertificate(user.publicKey, ca, {
        keyId: 'x',
        principals: ['a'],
        validAfter: 2,
        validBefore: 2,
      }),
    ).rejects.toThrow('valid for some time');
  });
});
