/**
 * Opens AWS KMS envelopes of the data key: `Decrypt` with the key ARN, the ciphertext blob and
 * the encryption context from the file, in the region named by the ARN. Credentials and the
 * endpoint are injected; nothing here reads the environment.
 */
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { KmsKeyEntry } from './sops-metadata.ts';
import { decodeBase64 } from './sops-value.ts';

/** Static AWS credentials (or temporary ones, with a session token). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** How Plumbline reaches AWS KMS. */
export interface KmsOptions {
  /** Credentials, or a function returning fresh ones (called by the SDK when they expire). */
  credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Endpoint override (a VPC endpoint, or moto in tests); default: the public regional one. */
  endpoint?: string;
  /**
   * Credentials for keys that name a `role` (sops assumes it with STS). Without it, such keys
   * are tried with `credentials` directly.
   */
  credentialsForRole?: (roleArn: string) => Promise<AwsCredentials>;
  /** How long one KMS request may take before it fails (default 15 s; two attempts). */
  timeoutMs?: number;
}

/** Decrypts KMS envelopes. */
export interface KmsKeySource {
  decrypt(entry: KmsKeyEntry): Promise<Uint8Array>;
}

const ARN = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;

/** The region of a KMS key or alias ARN, or undefined when it is not one. */
export function regionOfKmsArn(arn: string): string | undefined {
  return ARN.exec(arn)?.[1];
}

/** A KMS key source over `@aws-sdk/client-kms`, one client per region and role. */
export function createKmsKeySource(options: KmsOptions | undefined): KmsKeySource {
  const clients = new Map<string, KMSClient>();
  const timeoutMs = options?.timeoutMs ?? 15_000;
  const clientFor = (region: string, role: string | undefined): KMSClient => {
    const id = `${region}|${role ?? ''}`;
    let client = clients.get(id);
    if (!client) {
      if (!options) throw new Error('AWS KMS is not configured (no credentials given)');
      const roleCredentials = options.credentialsForRole;
      client = new KMSClient({
        region,
        credentials: role && roleCredentials ? () => roleCredentials(role) : options.credentials,
        // The endpoint is what the options say, never AWS_ENDPOINT_URL* from the environment
        // or ~/.aws/config, which the SDK would otherwise read on Node.
        ...(options.endpoint
          ? { endpoint: options.endpoint }
          : { ignoreConfiguredEndpointUrls: true }),
        maxAttempts: 2,
        // A KMS that does not answer must fail the render, not hang the job.
        requestHandler: {
          connectionTimeout: Math.min(5_000, timeoutMs),
          requestTimeout: timeoutMs,
          // Without it the Node handler only warns when the timeout passes.
          throwOnRequestTimeout: true,
        },
      });
      clients.set(id, client);
    }
    return client;
  };
  return {
    async decrypt(entry) {
      const region = regionOfKmsArn(entry.arn);
      if (!region) throw new Error('not a valid KMS key ARN');
      let blob: Uint8Array;
      try {
        blob = decodeBase64(entry.enc);
      } catch {
        throw new Error('the KMS envelope is not valid base64');
      }
      const client = clientFor(region, entry.role);
      try {
        const out = await client.send(
          new DecryptCommand({
            KeyId: entry.arn,
            CiphertextBlob: blob,
            ...(Object.keys(entry.context).length > 0 ? { EncryptionContext: entry.context } : {}),
          }),
        );
        if (!out.Plaintext) throw new Error('KMS returned no plaintext');
        return out.Plaintext;
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`KMS Decrypt failed: ${name}: ${message}`);
      }
    },
  };
}
