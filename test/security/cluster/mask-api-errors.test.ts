/**
 * Issue 11, finding 3d: API server errors echo values. A decrypted value of the wrong type
 * comes back as `… expected string, got &value.valueUnstructured{Value:map[string]interface
 * {}{"inner":"<value>"}}` in `plan` (text and JSON) and `apply`, for ConfigMaps and Secrets
 * alike. Driven against the real API server with files encrypted by the real sops.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { adminKube, cluster, freshNamespace } from '../../cluster/engine/cluster.ts';
import { captureIo } from '../../env/cli-io.ts';
import { sopsEncryptYaml } from '../../env/sops-cli.ts';

const canary = `canary-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const b64 = Buffer.from(canary).toString('base64');
// Below the ledger's free-text length: only the structural scrub of API messages hides it.
const short = `q${Math.random().toString(36).slice(2, 6)}`;

/** An app with one object whose `data.key` is a map holding the canary (invalid: not a string). */
function invalidApp(kind: 'ConfigMap' | 'Secret', recipient: string): string {
  const app = mkdtempSync(join(tmpdir(), 'plumbline-mask-errors-'));
  const field = kind === 'Secret' ? 'stringData' : 'data';
  const manifest = `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: broken\n${field}:\n  key:\n    inner: ${canary}\n  tiny:\n    - ${short}\n  fine: "x"\n`;
  writeFileSync(
    join(app, 'object.yaml'),
    sopsEncryptYaml(manifest, ['--age', recipient, '--encrypted-regex', '^(data|stringData)$']),
  );
  return app;
}

describe('API server errors about decrypted values', () => {
  let identity: string;
  let recipient: string;
  beforeAll(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
  });
  afterEach(() => {
    delete process.env.SOPS_AGE_KEY;
  });

  for (const kind of ['ConfigMap', 'Secret'] as const) {
    for (const [command, output] of [
      ['plan', 'text'],
      ['plan', 'json'],
      ['plan', 'markdown'],
      ['apply', 'text'],
      ['apply', 'json'],
    ] as const) {
      it(`never echo the value: ${command} -o ${output} of a ${kind}`, async () => {
        const app = invalidApp(kind, recipient);
        const ns = await freshNamespace(adminKube().client, 'mask-errors');
        process.env.SOPS_AGE_KEY = identity;
        const { out, io } = captureIo();
        const code = await runCli(
          [
            command,
            app,
            '--kubeconfig',
            cluster.kubeconfig,
            '-n',
            ns,
            '--app',
            'broken',
            '-o',
            output,
          ],
          io,
        );
        expect(code).toBe(2);
        const all = out.stdout + out.stderr;
        // The error still says what is wrong and where.
        expect(all).toContain('broken');
        expect(all).toMatch(/expected string|Invalid value|cannot be handled|invalid/i);
        expect(all).not.toContain(canary);
        expect(all).not.toContain(b64);
        expect(all).not.toContain(short);
      });
    }
  }
});
