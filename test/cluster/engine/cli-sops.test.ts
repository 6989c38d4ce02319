import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { binary } from '../../env/paths.ts';
import { adminKube, cluster, freshNamespace } from './cluster.ts';

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

/** An app directory holding one Secret encrypted by the real sops for `recipient`. */
function encryptedApp(recipient: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-cli-sops-'));
  const plain = join(dir, 'plain.yaml');
  writeFileSync(
    plain,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`,
  );
  const encrypted = execFileSync(
    binary('sops'),
    ['encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', plain],
    { encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  const app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'secret.yaml'), encrypted);
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
    const { out, io } = capture();
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
    const { out, io } = capture();
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
