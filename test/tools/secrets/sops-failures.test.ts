/**
 * Every way decryption fails ends in a `DecryptError` naming the file, the keys tried and why
 * each failed; and a known plaintext (the canary) shows up in no error, log line, masked object
 * or masked diff on any path.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../lib/core/object.ts';
import { DecryptError } from '../../../lib/errors.ts';
import { maskObject, maskPair } from '../../../lib/secrets/mask.ts';
import { SecretLedger } from '../../../lib/secrets/secret-ledger.ts';
import {
  createSopsDecryptor,
  type SopsDecryptorOptions,
} from '../../../lib/secrets/sops-decryptor.ts';
import { createSopsWorld, type SopsWorld } from './sops-cli.ts';

let world: SopsWorld;
const canary = `canary-${crypto.randomUUID()}`;
const logged: string[] = [];

beforeAll(async () => {
  world = await createSopsWorld();
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.stack}` : String(a))).join(' '));
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await world?.close();
});

const manifest = () => `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  password: ${canary}
  other: ${canary}-2
`;

const bytes = (s: string) => new TextEncoder().encode(s);

/** Everything an error exposes, through its whole cause chain. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 10; depth++) {
    if (e instanceof Error) {
      parts.push(
        e.message,
        e.stack ?? '',
        String(e),
        JSON.stringify(e, Object.getOwnPropertyNames(e)),
      );
      if (e instanceof DecryptError) parts.push(e.describe());
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join('\n');
}

async function decryptError(
  text: string,
  options: SopsDecryptorOptions,
  path = 'apps/shop/secret.sops.yaml',
) {
  const error = await createSopsDecryptor(options)
    .decrypt(path, bytes(text))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(DecryptError);
  const decryptError = error as DecryptError;
  expect(decryptError.file).toBe(path);
  expect(decryptError.message.startsWith(`${path}: `)).toBe(true);
  expect(exposed(error)).not.toContain(canary);
  return decryptError;
}

describe('decryption failures', () => {
  it('names the KMS key, its context and the KMS error when the encryption context is wrong', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), [
      '--kms',
      world.keyA,
      '--encryption-context',
      'app:shop',
    ]);
    const edited = encrypted.replace(/(context:\n\s+app:) shop/, '$1 other');
    expect(edited).not.toBe(encrypted);
    const error = await decryptError(edited, { kms: world.kms });
    expect(error.message).toContain(
      `group 1: kms ${world.keyA} (context app=other): KMS Decrypt failed: InvalidCiphertextException`,
    );
  });

  it('names the KMS key and the error when the file names the wrong key', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), ['--kms', world.keyA]);
    const error = await decryptError(
      encrypted.replace(`arn: ${world.keyA}`, `arn: ${world.keyB}`),
      { kms: world.kms },
    );
    expect(error.message).toMatch(new RegExp(`kms ${world.keyB}: KMS Decrypt failed: \\w+`));
  });

  it('reports a KMS that cannot be reached', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), ['--kms', world.keyA]);
    const error = await decryptError(encrypted, {
      kms: { ...world.kms, endpoint: 'http://127.0.0.1:9' },
    });
    expect(error.message).toContain(`kms ${world.keyA}: KMS Decrypt failed:`);
  });

  it('gives up on a KMS that accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const encrypted = await world.encrypt('s.yaml', manifest(), ['--kms', world.keyA]);
      const started = Date.now();
      const error = await decryptError(encrypted, {
        kms: { ...world.kms, endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1_000 },
      });
      expect(error.message).toContain(`kms ${world.keyA}: KMS Decrypt failed:`);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('says KMS is not configured when no KMS options were given', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), ['--kms', world.keyA]);
    const error = await decryptError(encrypted, { ageIdentities: [world.age[2]?.identity ?? ''] });
    expect(error.message).toContain(`kms ${world.keyA}: AWS KMS is not configured`);
  });

  it('lists every key of every group when no group can be opened', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), [
      '--kms',
      world.keyA,
      '--age',
      world.age[0]?.recipient ?? '',
    ]);
    const error = await decryptError(encrypted, { ageIdentities: [world.age[2]?.identity ?? ''] });
    expect(error.message).toContain(
      'cannot decrypt the data key: no key could decrypt the data key',
    );
    expect(error.message).toContain(`age ${world.age[0]?.recipient}: no identity matched`);
    expect(error.message).toContain(`kms ${world.keyA}: AWS KMS is not configured`);
  });

  it('refuses tampered values and MACs without showing the plaintext', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), ['--kms', world.keyA]);
    const password = /password: (ENC\[[^\]]+\])/.exec(encrypted)?.[1] as string;
    const other = /other: (ENC\[[^\]]+\])/.exec(encrypted)?.[1] as string;
    const swapped = encrypted.replace(`password: ${password}`, `password: ${other}`);
    expect(swapped).not.toBe(encrypted);
    const e1 = await decryptError(swapped, { kms: world.kms });
    expect(e1.message).toContain('key "stringData.password" does not decrypt with the data key');
    const macless = encrypted.replace(
      /mac: ENC\[AES256_GCM,data:[^,]+/,
      'mac: ENC[AES256_GCM,data:AAAA',
    );
    const e2 = await decryptError(macless, { kms: world.kms });
    expect(e2.message).toContain('sops.mac does not decrypt');
    const name = /name: (ENC\[[^\]]+\])/.exec(encrypted)?.[1] as string;
    const emptied = encrypted.replace(`name: ${name}`, 'name: ""');
    const e3 = await decryptError(emptied, { kms: world.kms });
    expect(e3.message).toContain('the MAC does not match the content');
  });
});

describe('the canary', () => {
  it('appears in the plaintext and nowhere else: masks, diffs, redacted logs, errors', async () => {
    const encrypted = await world.encrypt('s.yaml', manifest(), [
      '--kms',
      world.keyA,
      '--encryption-context',
      'app:shop',
    ]);
    expect(encrypted).not.toContain(canary);
    const ledger = new SecretLedger();
    const decryptor = ledger.watch(createSopsDecryptor({ kms: world.kms }));
    const out = await decryptor.decrypt('s.yaml', bytes(encrypted));
    const plaintext = new TextDecoder().decode(out?.plaintext);
    expect(plaintext).toContain(canary);
    const object = parseAllDocuments(plaintext)[0]?.toJS() as KubeObject;

    const masked = JSON.stringify(maskObject(object, { sensitive: true }));
    expect(masked).not.toContain(canary);
    const changed = {
      ...object,
      stringData: { password: `${canary}-rotated`, other: `${canary}-2` },
    };
    const diff = maskPair(object, changed, { sensitive: true });
    expect(JSON.stringify(diff)).not.toContain(canary);
    expect(diff.after?.stringData).toEqual({ password: '*** (changed)', other: '***' });
    const logLine = `applying ${JSON.stringify(object)} with password=${canary}`;
    expect(ledger.text(logLine)).not.toContain(canary);

    expect(logged.join('\n')).not.toContain(canary);
  });
});
