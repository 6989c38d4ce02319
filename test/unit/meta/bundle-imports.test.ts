/**
 * The bundle check's import scan (`.ci/bundle-imports.ts`) on minified code as esbuild (and so
 * wrangler) writes it: every form of import is found, wherever it sits on a line.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runtimeImports } from '../../../.ci/bundle-imports.ts';

/** Minifies `source` as wrangler does, leaving `node:*` and `undici` external. */
async function minified(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, loader: 'ts' },
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    platform: 'neutral',
    external: ['node:*', 'undici', 'ws', 'cloudflare:workers'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

describe('the bundle import scan', () => {
  it('finds named, namespace, default and side-effect imports in minified output', async () => {
    const code = await minified(`
      import { readFile as read } from 'node:fs';
      import * as crypto from 'node:crypto';
      import undici, { Agent } from 'undici';
      import 'node:process';
      import { DurableObject } from 'cloudflare:workers';
      export default { fetch: () => [read, crypto, undici, Agent, DurableObject] };
    `);
    // The form the former pattern (which wanted a space after \`import\`) missed.
    expect(code).toMatch(/import\{[^}]*\}from"node:fs"/);
    const former = [...code.matchAll(/^\s*import\s[^'"]*?from\s*["']([^"']+)["']/gm)];
    expect(former.map((m) => m[1])).not.toContain('node:fs');
    expect([...runtimeImports(code)].sort()).toEqual([
      'cloudflare:workers',
      'node:crypto',
      'node:fs',
      'node:process',
      'undici',
    ]);
  });

  it('finds re-exports, dynamic imports and requires', async () => {
    const code = await minified(`
      export { connect } from 'node:net';
      export * from 'ws';
      export const later = () => import('node:os');
    `);
    expect([...runtimeImports(code)].sort()).toEqual(['node:net', 'node:os', 'ws']);
    expect(runtimeImports('var a=__require("node:tls"),b=require("node:dns");')).toEqual(
      new Set(['node:tls', 'node:dns']),
    );
  });

  it('does not mistake methods or plain strings for imports', () => {
    expect(
      runtimeImports('x.import("a");y.require("b");const s="from";export{s as default};'),
    ).toEqual(new Set());
  });
});
