/**
 * Hostile edits of encrypted binary files and `!!binary` values: every one fails the MAC or the
 * value's authentication with a `DecryptError` that names the file and exposes no plaintext,
 * in any form (bytes as text, base64, hex), through the whole cause chain.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptError } from '../../../lib/errors.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { createSopsWorld, type SopsWorld } from '../../tools/secrets/sops-cli.ts';

let world: SopsWorld;

beforeAll(async () => {
  world = await createSopsWorld();
});

afterAll(async () => {
  await world?.close();
});

// A canary that is not UTF-8 (so it travels as bytes and as !!binary) with a readable middle.
const canary = new Uint8Array([
  0xff,
  0xfe,
  ...new TextEncoder().encode(`canary-${crypto.randomUUID()}`),
  0x80,
]);
const forms = () => {
  const middle = new TextDecoder().decode(canary.subarray(2, canary.length - 1));
  return [middle, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')];
};

async function encrypt(name: string, bytes: Uint8Array, args: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(world.dir, 'tamper-'));
  writeFileSync(join(dir, name), bytes);
  const out = join(dir, `enc-${name}`);
  await world.run([
    '--encrypt',
    '--age',
    world.age[0]?.recipient ?? '',
    ...args,
    '--output',
    out,
    join(dir, name),
  ]);
  return readFileSync(out, 'utf8');
}

function exposed(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 10; depth++) {
    if (!(e instanceof Error)) break;
    parts.push(e.message, e.stack ?? '', JSON.stringify(e, Object.getOwnPropertyNames(e)));
    if (e instanceof DecryptError) parts.push(e.describe());
    e = e.cause;
  }
  return parts.join('\n');
}

async function refused(name: string, text: string): Promise<DecryptError> {
  const decryptor = createSopsDecryptor({ ageIdentities: world.age.map((k) => k.identity) });
  const error = await decryptor.decrypt(name, new TextEncoder().encode(text)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecryptError);
  const message = exposed(error);
  expect(message).toContain(name);
  for (const form of forms()) expect(message).not.toContain(form);
  return error as DecryptError;
}

/** Flips one bit inside the base64 `data:` of the first ENC value matching `after`. */
function flipData(text: string, after: RegExp): string {
  const m = after.exec(text);
  if (!m) throw new Error('no value to tamper with');
  const at = text.indexOf('data:', m.index) + 'data:'.length + 2;
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe('tampered binary files and !!binary values are refused without leaking', () => {
  it('a binary file whose ciphertext was altered', async () => {
    const text = await encrypt('cert.p12', canary);
    const error = await refused('cert.p12', flipData(text, /"data":/));
    expect(error.message).toContain('does not decrypt with the data key');
  });

  it("a binary file whose data was swapped with another file's under the same key path", async () => {
    const text = await encrypt('cert.p12', canary);
    const other = await encrypt('cert.p12', new Uint8Array([1, 2, 3]));
    const swapped = text.replace(/"data": "[^"]*"/, other.match(/"data": "[^"]*"/)?.[0] ?? '');
    const error = await refused('cert.p12', swapped);
    expect(error.message).toMatch(/MAC does not match|does not decrypt/);
  });

  it('an encrypted !!binary value that was altered', async () => {
    const yaml = `key: !!binary ${Buffer.from(canary).toString('base64')}\n`;
    const text = await encrypt('values.yaml', new TextEncoder().encode(yaml));
    await refused('values.yaml', flipData(text, /^key:/m));
  });

  it('a !!binary value left in clear (unencrypted suffix) that was altered', async () => {
    const yaml = `key_unencrypted: !!binary ${Buffer.from(canary).toString('base64')}\nother: x\n`;
    const text = await encrypt('values.yaml', new TextEncoder().encode(yaml));
    const altered = text.replace(/key_unencrypted: !!binary (\S+)/, (_, b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[3] = (bytes[3] ?? 0) ^ 1;
      return `key_unencrypted: !!binary ${bytes.toString('base64')}`;
    });
    expect(altered).not.toBe(text);
    const error = await refused('values.yaml', altered);
    expect(error.message).toContain('the MAC does not match');
  });
});
