/**
 * Regression guard for render memory (issue 18: the benchmarks measure it inside workerd and
 * on Node; this is the small version `npm test` runs). `plumbline render` of a 5,000-object app
 * in a Node whose old space is capped at 48 MB, a third of a Worker's 128 MB: a render that
 * holds more than that aborts, and the test fails. It needs about 20 MB today. Wall time is not
 * asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bigAppDir, bigAppFiles } from '../../../bench/render/app-files.ts';

const cli = fileURLToPath(new URL('../../../functions/cli.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'plumbline-render-heap-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

function render(objects: number, oldSpaceMb: number) {
  for (const [path, text] of Object.entries(bigAppFiles(objects))) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return spawnSync(
    process.execPath,
    [`--max-old-space-size=${oldSpaceMb}`, cli, 'render', join(root, bigAppDir(objects))],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

describe('render memory (regression guard)', () => {
  it('renders a 5,000-object app with the old space capped at 48 MB', () => {
    const result = render(5000, 48);
    expect(result.stderr).not.toMatch(/heap out of memory/i);
    expect(result.status).toBe(0);
    expect(result.stdout.match(/^kind: /gm)).toHaveLength(5000);
  }, 120_000);

  it('the cap is a real limit: with 20 MB a 20-object app renders and a 20,000-object one aborts', () => {
    // Margins both ways (a 20-object app renders in 12 MB, 20,000 objects need more than 28
    // since the CLI runs without TurboFan; 32 no longer aborts them), so the control holds on
    // a loaded machine and across small changes.
    const small = render(20, 20);
    expect(small.status).toBe(0);
    expect(small.stdout.match(/^kind: /gm)).toHaveLength(20);
    const big = render(20_000, 20);
    expect(big.status).not.toBe(0);
    expect(big.stderr).toMatch(/heap out of memory|Allocation failed/i);
  }, 120_000);
});
