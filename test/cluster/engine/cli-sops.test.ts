import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { captureIo } from '../../env/cli-io.ts';
import { sopsEncryptYaml } from '../../env/sops-cli.ts';
import { adminKube, cluster, freshNamespace } from './cluster.ts';

const password = `canary-${Math.random().toString(36).slice(2)}`;

/** An app directory holding one Secret encrypted by the real sops for `recipient`. */
function encryptedApp(recipient: string): string {
  const app = mkdtempSync(join(tmpdir(), 'plumbline-cli-sops-'));
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;
  writeFileSync(
    join(app, 'secret.yaml'),
    sopsEncryptYaml(secret, ['--age', recipient, '--encrypted-regex', '^(data|stringData)$']),
  );
  return app;
}

describe('plumbline plan with SOPS-encrypted manifests', () => {
  afterEach(() => {
    delete process.env.SOPS_AGE_KEY;
  });

  it('decrypts with the age key from SOPS_AGE_KEY and shows the Secret masked', async () => {
    const identity = await generateIdentity();
    const app = encryptedApp(await identityToRecipient(identity));
    const ns = await freshNamespace(adminKube().client, 'cli-sops');
    process.env.SOPS_AGE_KEY = identity;
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'plan',
        app,
        '--kubeconfig',
        cluster.kubeconfig,
        '-n',
        ns,
        '--app',
        'db',
        '--revision',
        'r1',
      ],
      io,
    );
    expect(out.stderr).toBe('');
    expect(code).toBe(1);
    expect(out.stdout).toContain(`# create Secret ${ns}/db`);
    expect(out.stdout).toContain('password: "***"');
    expect(out.stdout + out.stderr).not.toContain(password);
    expect(out.stdout).not.toContain('ENC[AES256_GCM');
  });

  it('fails naming the file when no key can open it, and plans nothing', async () => {
    const other = await identityToRecipient(await generateIdentity());
    const app = encryptedApp(other);
    const ns = await freshNamespace(adminKube().client, 'cli-sops');
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'plan',
        app,
        '--kubeconfig',
        cluster.kubeconfig,
        '-n',
        ns,
        '--app',
        'db',
        '--revision',
        'r1',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('secret.yaml');
    expect(out.stderr).toMatch(/age/);
    expect(out.stderr).not.toContain(password);
  });
});
