import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialsError } from '../../../lib/errors.ts';
import { toPkcs8 } from '../../../lib/github/app-auth.ts';

describe('GitHub App private keys', () => {
  it('rewraps a PKCS#1 key (as GitHub downloads it) exactly as OpenSSL writes PKCS#8', () => {
    for (const modulusLength of [1024, 2048]) {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const expected = createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'pem' });
      expect(toPkcs8(privateKey)).toBe(expected);
    }
  });

  it('passes a PKCS#8 key through', () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(toPkcs8(`\n${privateKey}\n`)).toBe(privateKey.trimEnd());
  });

  it('refuses something else without echoing it', () => {
    const secret = 'not-a-key-but-secret-material';
    const error = (() => {
      try {
        toPkcs8(secret);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe('GitHub App private key: not a PEM RSA private key');
    expect(String((error as CredentialsError).describe())).not.toContain(secret);
  });
});
