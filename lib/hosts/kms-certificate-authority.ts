/**
 * An SSH certificate authority whose private key never leaves AWS KMS: an asymmetric
 * `ECC_NIST_P256` key with usage `SIGN_VERIFY`. Its public key (`GetPublicKey`, once) becomes
 * the `ecdsa-sha2-nistp256` CA key servers trust; each certificate is signed with `Sign`
 * (`ECDSA_SHA_256`) and the DER signature converted to SSH's form. Certificates are a few
 * hundred bytes, so the message goes as `RAW` (KMS takes up to 4,096 bytes; larger ones are
 * sent as their SHA-256 `DIGEST`).
 */

import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { sha256 } from '../core/encoding.ts';
import { type KmsOptions, regionOfKmsArn } from '../secrets/kms-key-source.ts';
import { ecdsaSignatureFromDer, p256PublicKeyFromSpki, type SshSigner } from './ssh/keys.ts';
import { type Bytes, SshWriter } from './ssh/wire.ts';

/** Largest message KMS signs as `RAW`. */
const MAX_RAW = 4096;

/** A CA signer backed by the KMS key `keyId` (an ARN). */
export async function kmsCertificateAuthority(
  keyId: string,
  options: KmsOptions,
): Promise<SshSigner> {
  const region = regionOfKmsArn(keyId);
  if (!region) throw new Error(`${keyId}: not a KMS key ARN`);
  const client = new KMSClient({
    region,
    credentials: options.credentials,
    ...(options.endpoint ? { endpoint: options.endpoint } : { ignoreConfiguredEndpointUrls: true }),
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: options.timeoutMs ?? 15_000,
      throwOnRequestTimeout: true,
    },
  });
  const described = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  // Older answers (and moto) carry the spec only under its deprecated name.
  const spec = described.KeySpec ?? described.CustomerMasterKeySpec;
  if (spec !== 'ECC_NIST_P256' || described.KeyUsage !== 'SIGN_VERIFY') {
    throw new Error(
      `${keyId}: the CA key must be ECC_NIST_P256 with usage SIGN_VERIFY (it is ${spec ?? '?'} / ${described.KeyUsage ?? '?'})`,
    );
  }
  if (!described.PublicKey) throw new Error(`${keyId}: KMS returned no public key`);
  const publicKey = p256PublicKeyFromSpki(described.PublicKey, 'plumbline-kms-ca');
  return {
    publicKey,
    async sign(data: Bytes) {
      const raw = data.length <= MAX_RAW;
      const out = await client.send(
        new SignCommand({
          KeyId: keyId,
          Message: raw ? data : await sha256(data),
          MessageType: raw ? 'RAW' : 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!out.Signature) throw new Error(`${keyId}: KMS returned no signature`);
      return new SshWriter()
        .string('ecdsa-sha2-nistp256')
        .string(ecdsaSignatureFromDer(out.Signature))
        .bytes();
    },
  };
}
