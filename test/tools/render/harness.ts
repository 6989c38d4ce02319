/**
 * Differential testing against the real kustomize: a case is a fixture tree written to a
 * temporary directory, built by `kustomize build` and by `renderApp` over the same files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { RenderError } from '../../../lib/errors.ts';
import { renderApp, toYaml } from '../../../lib/render/index.ts';
import { binary } from '../../env/paths.ts';

/** One conformance case: files (path -> content) and the app directory to build. */
export interface ConformanceCase {
  name: string;
  /** Strings are written as UTF-8; bytes as they are (for invalid UTF-8 and binary files). */
  files: Record<string, string | Uint8Array>;
  /** Defaults to `app`. */
  app?: string;
}

/** What both tools did with a case. */
export interface Outcome {
  kustomize: { ok: true; objects: unknown[]; text: string } | { ok: false; error: string };
  plumbline: { ok: true; objects: unknown[]; text: string } | { ok: false; error: unknown };
}

/** Writes a fixture tree to a new temporary directory; returns its path. */
export function writeTree(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'plumbline-render-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** Runs kustomize and Plumbline over the same files. */
export async function runCase(c: ConformanceCase): Promise<Outcome> {
  const root = writeTree(c.files);
  try {
    const app = c.app ?? 'app';
    const run = spawnSync(binary('kustomize'), ['build', join(root, app)], { encoding: 'utf8' });
    const kustomize: Outcome['kustomize'] =
      run.status === 0
        ? {
            ok: true,
            text: run.stdout,
            objects: parseAllDocuments(run.stdout)
              .map((d) => d.toJS())
              .filter((o) => o !== null),
          }
        : { ok: false, error: run.stderr };
    let plumbline: Outcome['plumbline'];
    try {
      const result = await renderApp(new DirectoryFileTree(root), app);
      plumbline = { ok: true, objects: result.objects, text: toYaml(result.objects) };
    } catch (error) {
      plumbline = { ok: false, error };
    }
    return { kustomize, plumbline };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** True when a failure is the kind Plumbline promises (a RenderError with a file). */
export function isRenderFailure(error: unknown): boolean {
  return error instanceof RenderError && typeof error.file === 'string';
}

/** The first line where two outputs differ, with the lines around it (for failure messages). */
export function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return 'identical';
  const around = (lines: string[]) =>
    lines.slice(Math.max(0, i - 3), i + 3).map((l) => JSON.stringify(l));
  return `line ${i + 1}\nkustomize:\n  ${around(a).join('\n  ')}\nplumbline:\n  ${around(b).join('\n  ')}`;
}
