/**
 * The real sops CLI and a real moto KMS for interop tests: files are encrypted by sops itself,
 * and `sops --decrypt` is the oracle Plumbline's decryption must match.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { KmsOptions } from '../../../lib/secrets/kms-key-source.ts';
import { type Moto, motoAwsEnv, startMoto } from '../../env/moto.ts';
import { binary } from '../../env/paths.ts';

const run = promisify(execFile);

/** An age identity and its recipient. */
export interface AgeKey {
  identity: string;
  recipient: string;
}

/** A sops + moto workspace: a temporary directory, KMS keys, age keys. */
export interface SopsWorld {
  dir: string;
  moto: Moto;
  kms: KmsOptions;
  /** Two symmetric KMS keys in us-east-1, and an alias ARN of the first. */
  keyA: string;
  keyB: string;
  aliasA: string;
  age: AgeKey[];
  /** Encrypts `plaintext` written as `name` (format from its extension) with sops `args`. */
  encrypt(name: string, plaintext: string, args: string[]): Promise<string>;
  /** Runs the sops CLI with `args` in `cwd` (default: the workspace); returns its stdout. */
  run(args: string[], cwd?: string): Promise<string>;
  /** What `sops --decrypt` prints for an encrypted file's text (with every key available). */
  decrypt(name: string, encrypted: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts moto, creates KMS and age keys, and binds the sops CLI to them. */
export async function createSopsWorld(): Promise<SopsWorld> {
  const sops = binary('sops');
  const moto = await startMoto();
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-sops-'));
  const credentials = {
    accessKeyId: motoAwsEnv.AWS_ACCESS_KEY_ID,
    secretAccessKey: motoAwsEnv.AWS_SECRET_ACCESS_KEY,
  };
  const client = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
  const keyA = (await client.send(new CreateKeyCommand({ Description: 'plumbline test A' })))
    .KeyMetadata?.Arn;
  const keyB = (await client.send(new CreateKeyCommand({ Description: 'plumbline test B' })))
    .KeyMetadata?.Arn;
  if (!keyA || !keyB) throw new Error('moto did not create KMS keys');
  await client.send(
    new CreateAliasCommand({ AliasName: 'alias/plumbline-test', TargetKeyId: keyA }),
  );
  const aliasA = keyA.replace(/key\/.*$/, 'alias/plumbline-test');
  const age: AgeKey[] = [];
  for (let i = 0; i < 3; i++) {
    const identity = await generateX25519Identity();
    age.push({ identity, recipient: await identityToRecipient(identity) });
  }
  // Decryption through the SDK must not depend on the test environment's AWS settings.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    ...motoAwsEnv,
    AWS_ENDPOINT_URL_KMS: moto.endpoint,
    SOPS_AGE_KEY: age.map((k) => k.identity).join('\n'),
  };
  const sopsRun = async (args: string[], cwd = dir) => {
    try {
      const { stdout } = await run(sops, args, { cwd, env, maxBuffer: 64 << 20 });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`sops ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  };
  let n = 0;
  return {
    dir,
    moto,
    kms: { credentials, endpoint: moto.endpoint },
    keyA,
    keyB,
    aliasA,
    age,
    run: sopsRun,
    async encrypt(name, plaintext, args) {
      const path = join(dir, `${n++}-${name}`);
      writeFileSync(path, plaintext);
      return sopsRun(['--encrypt', ...args, path]);
    },
    async decrypt(name, encrypted) {
      const path = join(dir, `${n++}-${name}`);
      writeFileSync(path, encrypted);
      return sopsRun(['--decrypt', path]);
    },
    async close() {
      client.destroy();
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
