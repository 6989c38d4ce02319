/**
 * `plumbline render` with a unique canary in real SOPS files of every format sops writes
 * (YAML, JSON, dotenv, binary), taken whole or by key by generators and copied by replacements
 * into names, labels, annotations and other objects, as text and as base64: the canary and its
 * encodings never reach stdout or stderr, and the positions still show where it went.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { captureIo } from '../../env/cli-io.ts';
import { binary } from '../../env/paths.ts';

const tag = () => Math.random().toString(36).slice(2, 10);
const canary = `cnry${tag()}${tag()}`;
const b64 = (text: string) => Buffer.from(text).toString('base64');

function sopsEncrypt(dir: string, name: string, plaintext: string, recipient: string): string {
  const file = join(dir, `plain-${name}`);
  writeFileSync(file, plaintext);
  const type = name.endsWith('.bin') ? ['--input-type', 'binary', '--output-type', 'binary'] : [];
  const out = execFileSync(binary('sops'), ['encrypt', '--age', recipient, ...type, file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  rmSync(file);
  return out;
}

describe('plumbline render of a canary in every SOPS format, wherever it lands', () => {
  const root = mkdtempSync(join(tmpdir(), 'plumbline-canary-render-'));
  let identity: string;

  beforeAll(async () => {
    identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const files: Record<string, string> = {
      'app/kustomization.yaml': [
        'resources: [settings.yaml]',
        'configMapGenerator:',
        '  - name: from-env',
        '    envs: [app.sops.env]',
        '  - name: from-json-file',
        '    files: [config.sops.json]',
        'secretGenerator:',
        '  - name: from-binary',
        '    files: [key.sops.bin]',
        '  - name: from-env-literal',
        '    envs: [app.sops.env]',
        'replacements:',
        '  - source: { kind: ConfigMap, name: from-env, fieldPath: data.TOKEN }',
        '    targets:',
        '      - select: { kind: ConfigMap, name: settings }',
        '        fieldPaths: [metadata.annotations.token, metadata.labels.token, data.token]',
        '        options: { create: true }',
        '  - source: { kind: Secret, name: from-env-literal, fieldPath: data.TOKEN }',
        '    targets:',
        '      - select: { kind: ConfigMap, name: settings }',
        '        fieldPaths: [metadata.annotations.token-base64]',
        '        options: { create: true }',
        '',
      ].join('\n'),
      'app/settings.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
      'app/app.sops.env': sopsEncrypt(root, 'app.env', `TOKEN=${canary}\nLEVEL=info\n`, recipient),
      'app/config.sops.json': sopsEncrypt(
        root,
        'config.json',
        JSON.stringify({ token: canary, nested: { list: [canary] } }),
        recipient,
      ),
      'app/key.sops.bin': sopsEncrypt(root, 'key.bin', `-----KEY-----\n${canary}\n`, recipient),
    };
    mkdirSync(join(root, '.git'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints the objects with every copy masked', async () => {
    process.env.SOPS_AGE_KEY = identity;
    try {
      const { out, io } = captureIo();
      const code = await runCli(['render', join(root, 'app')], io);
      expect(out.stderr).toBe('');
      expect(code).toBe(0);
      // Everything is there, in its place.
      for (const name of ['from-env-', 'from-json-file-', 'from-binary-', 'settings'])
        expect(out.stdout).toContain(`name: ${name}`);
      expect(out.stdout).toContain("token: '***'");
      expect(out.stdout).toContain("token-base64: '***'");
      // `settings` received a copy: its body is masked too, by position.
      expect(out.stdout).toContain("color: '***'");
      const all = out.stdout + out.stderr;
      for (const form of [canary, b64(canary), b64(`-----KEY-----\n${canary}\n`)])
        expect(all).not.toContain(form);
    } finally {
      delete process.env.SOPS_AGE_KEY;
    }
  });

  it('keeps the canary out of a render error that quotes it', async () => {
    const app = join(root, 'broken');
    mkdirSync(app, { recursive: true });
    const recipient = await identityToRecipient(identity);
    writeFileSync(
      join(app, 'kustomization.yaml'),
      sopsEncrypt(
        root,
        'kustomization.yaml',
        `resources: []\nreplacements:\n  - source: { kind: Secret, name: ${canary}, fieldPath: data.x }\n    targets: []\n`,
        recipient,
      ),
    );
    process.env.SOPS_AGE_KEY = identity;
    try {
      const { out, io } = captureIo();
      const code = await runCli(['render', app], io);
      expect(code).toBe(1);
      expect(out.stderr).toContain('"name":"***"');
      expect(out.stderr).toContain('selects nothing');
      expect(out.stdout + out.stderr).not.toContain(canary);
    } finally {
      delete process.env.SOPS_AGE_KEY;
    }
  });
});
