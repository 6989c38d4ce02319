import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { binary } from '../../env/paths.ts';

const password = `canary-${Math.random().toString(36).slice(2)}`;

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
    isTTY: false,
  };
  return { out, io };
}

/** A kustomization with a plain ConfigMap and a Secret encrypted by the real sops. */
function app(recipient: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-render-sops-'));
  const plain = join(dir, 'secret.plain.yaml');
  writeFileSync(
    plain,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`,
  );
  const encrypted = execFileSync(binary('sops'), ['encrypt', '--age', recipient, plain], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  const appDir = join(dir, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'secret.yaml'), encrypted);
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
    const { out, io } = capture();
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
    const { out, io } = capture();
    expect(await runCli(['render', '--root', join(dir, '..'), dir], io)).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('secret.yaml');
    expect(out.stderr).not.toContain(password);
  });
});
