/**
 * The `.sops.yaml` recommended in docs/secrets.md works as documented with the real sops:
 * Secret manifests get only data/stringData encrypted, .env files every value, both carry the
 * app/repo encryption context, and Plumbline opens them with KMS alone or age alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { createSopsWorld, type SopsWorld } from './sops-cli.ts';

const docs = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../../../docs/secrets.md'),
  'utf8',
);

function documentedConfig(): string {
  const block = /```yaml\n(\s*# \.sops\.yaml\n[\s\S]*?)```/.exec(docs)?.[1];
  if (!block) throw new Error('docs/secrets.md has no ```yaml block starting with # .sops.yaml');
  const indent = /^\s*/.exec(block)?.[0].length ?? 0;
  return block
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n');
}

let world: SopsWorld;

beforeAll(async () => {
  world = await createSopsWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('the .sops.yaml in docs/secrets.md', () => {
  it('encrypts a Secret manifest and a .env file that Plumbline decrypts with KMS or age alone', async () => {
    const config = documentedConfig();
    const arn = /arn: (arn:aws:kms:\S+)/.exec(config)?.[1] as string;
    const recipient = /- (age1\S+)/.exec(config)?.[1] as string;
    expect(arn).toMatch(/^arn:aws:kms:/);
    const root = join(world.dir, 'repo');
    mkdirSync(join(root, 'apps/shop'), { recursive: true });
    writeFileSync(
      join(root, '.sops.yaml'),
      config.replaceAll(arn, world.keyA).replaceAll(recipient, world.age[0]?.recipient ?? ''),
    );
    writeFileSync(
      join(root, 'apps/shop/db.sops.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n',
    );
    writeFileSync(join(root, 'apps/shop/app.sops.env'), 'DB_PASSWORD=hunter2\n');
    for (const file of ['apps/shop/db.sops.yaml', 'apps/shop/app.sops.env']) {
      await world.run(['encrypt', '--in-place', file], root);
      const encrypted = readFileSync(join(root, file), 'utf8');
      expect(encrypted).not.toContain('hunter2');
      expect(encrypted).toMatch(/app:? ?=?shop|context__map_app=shop/);
      const expected = await world.run(['decrypt', file], root);
      for (const options of [
        { kms: world.kms },
        { ageIdentities: [world.age[0]?.identity ?? ''] },
      ]) {
        const out = await createSopsDecryptor(options).decrypt(
          file,
          new TextEncoder().encode(encrypted),
        );
        expect(new TextDecoder().decode(out?.plaintext)).toBe(expected);
      }
    }
    const manifest = readFileSync(join(root, 'apps/shop/db.sops.yaml'), 'utf8');
    expect(manifest).toContain('name: db');
    expect(manifest).toContain('encrypted_regex: ^(data|stringData)$');
    expect(manifest).toContain('repo: acme/infra');
  });
});
