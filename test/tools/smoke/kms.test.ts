import {
  CreateKeyCommand,
  DecryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto } from '../../env/moto.ts';

describe('AWS KMS on moto, through @aws-sdk/client-kms', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let kms: KMSClient;

  beforeAll(async () => {
    moto = await startMoto();
    kms = new KMSClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    kms?.destroy();
    await moto?.stop();
  });

  it('creates a key, generates a data key under a context, and decrypts it back', async () => {
    const key = await kms.send(new CreateKeyCommand({ Description: 'plumbline smoke' }));
    const keyId = key.KeyMetadata?.Arn;
    expect(keyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    const context = { app: 'web', repo: 'acme/infra' };
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    expect(dataKey.Plaintext).toHaveLength(32);

    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }),
    );
    expect(decrypted.KeyId).toBe(keyId);
    expect(
      Buffer.from(decrypted.Plaintext ?? []).equals(Buffer.from(dataKey.Plaintext ?? [])),
    ).toBe(true);
  });

  it('refuses to decrypt under a different encryption context', async () => {
    const key = await kms.send(new CreateKeyCommand({}));
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: key.KeyMetadata?.KeyId,
        KeySpec: 'AES_256',
        EncryptionContext: { app: 'web' },
      }),
    );
    const attempt = kms.send(
      new DecryptCommand({
        CiphertextBlob: dataKey.CiphertextBlob,
        EncryptionContext: { app: 'api' },
      }),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });
});
