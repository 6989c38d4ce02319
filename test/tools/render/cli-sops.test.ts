import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { captureIo } from '../../env/cli-io.ts';
import { sopsEncryptYaml } from '../../env/sops-cli.ts';

const password = `canary-${Math.random().toString(36).slice(2)}`;

/** A kustomization with a plain ConfigMap and a Secret encrypted by the real sops. */
function app(recipient: string): string {
  const appDir = join(mkdtempSync(join(tmpdir(), 'plumbline-render-sops-')), 'app');
  mkdirSync(appDir);
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;
  writeFileSync(join(appDir, 'secret.yaml'), sopsEncryptYaml(secret, ['--age', recipient]));
  writeFileSync(
    join(appDir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  color: blue\n',
  );
  writeFileSync(join(appDir, 'kustomization.yaml'), 'resources: [cm.yaml, secret.yaml]\n');
  return appDir;
}

describe('plumbline render with SOPS-encrypted files', () => {
  afterEach(() => {
    delete process.env.SOPS_AGE_KEY;
  });

  it('decrypts with SOPS_AGE_KEY and prints decrypted values masked, the rest as is', async () => {
    const identity = await generateIdentity();
    const dir = app(await identityToRecipient(identity));
    process.env.SOPS_AGE_KEY = identity;
    const { out, io } = captureIo();
    expect(await runCli(['render', '--root', join(dir, '..'), dir], io)).toBe(0);
    expect(out.stdout).toContain('color: blue');
    expect(out.stdout).toContain('kind: Secret');
    expect(out.stdout).toMatch(/password: ['"]?\*\*\*['"]?$/m);
    expect(out.stdout).not.toContain(password);
    expect(out.stdout).not.toContain('ENC[AES256_GCM');
    expect(out.stdout).not.toMatch(/^sops:/m);
  });

  it('fails naming the file when no key opens it', async () => {
    const dir = app(await identityToRecipient(await generateIdentity()));
    const { out, io } = captureIo();
    expect(await runCli(['render', '--root', join(dir, '..'), dir], io)).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('secret.yaml');
    expect(out.stderr).not.toContain(password);
  });
});
