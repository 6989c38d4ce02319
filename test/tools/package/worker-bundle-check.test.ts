/**
 * `.ci/worker-bundle.ts`, the check `npm test` runs on the Worker bundle, against wrangler's
 * real minified output: it fails a Worker that imports a Node module, and passes this one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'plumbline-bundle-check-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function check(args: string[]) {
  return spawnSync(process.execPath, [join(root, '.ci/worker-bundle.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('the Worker bundle check', () => {
  it('fails a minified Worker that imports a Node module, naming it', () => {
    writeFileSync(
      join(work, 'worker.ts'),
      "import { readFileSync } from 'node:fs';\nexport default { fetch: () => new Response(String(readFileSync)) };\n",
    );
    // nodejs_compat makes wrangler keep node:fs as an import instead of refusing to build.
    writeFileSync(
      join(work, 'wrangler.toml'),
      `name = "bad"\nmain = "${join(work, 'worker.ts')}"\ncompatibility_date = "2026-11-01"\ncompatibility_flags = ["nodejs_compat"]\nminify = true\n`,
    );
    const result = check([join(work, 'out'), '--config', join(work, 'wrangler.toml')]);
    expect(result.stderr).toContain("imports 'node:fs'");
    expect(result.status).toBe(1);
  });

  it("passes Plumbline's own minified Worker, which imports only cloudflare:workers and cloudflare:sockets", () => {
    const result = check([join(work, 'plumbline')]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/imports: cloudflare:workers, cloudflare:sockets\n/);
  });
});
