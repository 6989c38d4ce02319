import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../../functions/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'plumbline-cli-render-'));
mkdirSync(join(root, '.git'));
const files: Record<string, string> = {
  'base/kustomization.yaml': 'resources: [cm.yaml]\n',
  'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n',
  'apps/web/kustomization.yaml': 'resources: [../../base]\nnamePrefix: web-\n',
  'apps/api/kustomization.yaml': 'resources: [../../base]\nnamePrefix: api-\n',
  'apps/broken/kustomization.yaml': 'resources: [missing.yaml]\n',
};
for (const [path, content] of Object.entries(files)) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false };
  const code = await runCli(['render', ...argv], io);
  return { code, stdout, stderr };
}

describe('plumbline render', () => {
  it('prints an app as kustomize build does, reading bases elsewhere in the repository', async () => {
    const { code, stdout, stderr } = await run(join(root, 'apps/web'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      'apiVersion: v1\ndata:\n  a: "1"\nkind: ConfigMap\nmetadata:\n  name: web-settings\n',
    );
  });

  it('renders several apps in one run, separated by ---', async () => {
    const { code, stdout } = await run(join(root, 'apps/web'), join(root, 'apps/api'));
    expect(code).toBe(0);
    expect(stdout.split('---\n').map((doc) => doc.match(/name: (.*)/)?.[1])).toEqual([
      'web-settings',
      'api-settings',
    ]);
  });

  it('exits non-zero with the error naming the file', async () => {
    const { code, stdout, stderr } = await run(join(root, 'apps/broken'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      "apps/broken/kustomization.yaml: resources entry 'missing.yaml' does not exist",
    );
  });

  it('refuses a directory that does not exist or lies outside --root', async () => {
    expect((await run(join(root, 'nope'))).stderr).toContain('no such directory');
    const outside = await run('--root', join(root, 'apps/web'), join(root, 'apps/api'));
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('is outside the root');
  });

  it('prints its usage for --help and fails without a directory', async () => {
    expect((await run('--help')).stdout).toContain('Usage: plumbline render');
    expect((await run()).code).toBe(2);
  });
});
