import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startMoto } from '../../env/moto.ts';
import { binary } from '../../env/paths.ts';

const plaintext = [
  'apiVersion: v1',
  'kind: Secret',
  'metadata:',
  '  name: db',
  'stringData:',
  '  password: correct-horse-battery-staple',
  '',
].join('\n');

describe('the sops of the test environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-sops-'));
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    moto = await startMoto();
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ENDPOINT_URL_KMS: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    };
    writeFileSync(join(dir, 'secret.yaml'), plaintext);
  });
  afterAll(async () => {
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function sops(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
    return execFileSync(binary('sops'), args, {
      cwd: dir,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  it('encrypts with a moto KMS key and decrypts back', async () => {
    const kms = new KMSClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const key = await kms.send(new CreateKeyCommand({}));
    kms.destroy();
    const encrypted = sops([
      'encrypt',
      '--kms',
      key.KeyMetadata?.Arn ?? '',
      '--encryption-context',
      'app:web',
      '--encrypted-regex',
      '^(data|stringData)$',
      'secret.yaml',
    ]);
    expect(encrypted).not.toContain('correct-horse');
    expect(encrypted).toMatch(/password: ENC\[AES256_GCM,data:/);
    expect(encrypted).toContain(key.KeyMetadata?.Arn);
    writeFileSync(join(dir, 'secret.kms.yaml'), encrypted);
    expect(parse(sops(['decrypt', 'secret.kms.yaml']))).toEqual(parse(plaintext));
  });

  it('encrypts with an age key and decrypts back only with the identity', async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    writeFileSync(join(dir, 'keys.txt'), `${identity}\n`);
    const encrypted = sops(['encrypt', '--age', recipient, 'secret.yaml']);
    expect(encrypted).toContain(`recipient: ${recipient}`);
    expect(encrypted).not.toContain('correct-horse');
    writeFileSync(join(dir, 'secret.age.yaml'), encrypted);
    const decrypted = sops(['decrypt', 'secret.age.yaml'], {
      SOPS_AGE_KEY_FILE: join(dir, 'keys.txt'),
    });
    expect(parse(decrypted)).toEqual(parse(plaintext));
    expect(() => sops(['decrypt', 'secret.age.yaml'])).toThrow(
      /Failed to get the data key required to decrypt the SOPS file/,
    );
    expect(readFileSync(join(dir, 'secret.yaml'), 'utf8')).toBe(plaintext);
  });
});
