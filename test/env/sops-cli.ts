/** Files encrypted by the real sops of the test environment, for tests of what reads them. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary } from './paths.ts';

/** `sops encrypt` of a YAML document with extra flags (e.g. `--age <recipient>`). */
export function sopsEncryptYaml(plaintext: string, flags: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-sops-'));
  try {
    const file = join(dir, 'plain.yaml');
    writeFileSync(file, plaintext);
    return execFileSync(binary('sops'), ['encrypt', ...flags, file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
