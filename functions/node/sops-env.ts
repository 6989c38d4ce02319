/**
 * SOPS keys and AWS credentials from the environment, named as the sops CLI and the AWS SDK
 * name them, so `plumbline` decrypts what `sops --decrypt` decrypts on the same machine.
 */
import { readFileSync } from 'node:fs';
import type { FileDecryptor } from '../../lib/core/decryptor.ts';
import type { AwsCredentials } from '../../lib/credentials/sigv4.ts';
import type { KmsOptions } from '../../lib/secrets/kms-key-source.ts';

/** What the environment provides for decryption. */
export interface SopsEnv {
  ageIdentities: string[];
  aws?: AwsCredentials;
  kms?: KmsOptions;
}

/** Reads `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE` and `AWS_*` (credentials, `AWS_ENDPOINT_URL_KMS`). */
export function sopsEnv(env: Record<string, string | undefined>): SopsEnv {
  const ageIdentities: string[] = [];
  if (env.SOPS_AGE_KEY) ageIdentities.push(env.SOPS_AGE_KEY);
  if (env.SOPS_AGE_KEY_FILE) ageIdentities.push(readFileSync(env.SOPS_AGE_KEY_FILE, 'utf8'));
  const aws =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  if (!aws) return { ageIdentities };
  return {
    ageIdentities,
    aws,
    kms: {
      credentials: aws,
      ...(env.AWS_ENDPOINT_URL_KMS ? { endpoint: env.AWS_ENDPOINT_URL_KMS } : {}),
    },
  };
}

/** Every SOPS file (YAML, JSON, dotenv, INI) names `sops` in its metadata. */
function mentionsSops(content: Uint8Array): boolean {
  return Buffer.from(content.buffer, content.byteOffset, content.byteLength).includes('sops');
}

/**
 * A SOPS decryptor with the environment's keys (with none, encrypted files fail clearly). The
 * decryption code (and the AWS SDK behind it) loads only when a file could be a SOPS file at
 * all, so rendering plain manifests pays neither its start-up time nor its memory.
 */
export function sopsDecryptorFromEnv(env: Record<string, string | undefined>): FileDecryptor {
  let real: Promise<FileDecryptor> | undefined;
  return {
    async decrypt(path, content) {
      if (!mentionsSops(content)) return undefined;
      real ??= import('../../lib/secrets/sops-decryptor.ts').then(({ createSopsDecryptor }) => {
        const { ageIdentities, kms } = sopsEnv(env);
        return createSopsDecryptor({ ageIdentities, ...(kms ? { kms } : {}) });
      });
      return (await real).decrypt(path, content);
    },
  };
}
