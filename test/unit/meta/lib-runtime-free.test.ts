import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findRuntimeImports } from './lib-imports.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

describe('lib/ stays runtime-free', () => {
  it('imports no node:, cloudflare: or functions/ module and reads no process.env', () => {
    const files = sourcesUnder(join(root, 'lib'));
    expect(files.length).toBeGreaterThan(0);
    const violations = files.flatMap((file) =>
      findRuntimeImports(file, readFileSync(join(root, file), 'utf8'), root),
    );
    expect(violations).toEqual([]);
  });

  it('catches each kind of violation', () => {
    const source = [
      "import { readFile } from 'node:fs/promises';",
      "import crypto from 'crypto';",
      "import { env } from 'cloudflare:workers';",
      "export { serve } from '../../functions/node.ts';",
      "const mod = await import('node:path');",
      'const token = process.env.GITHUB_TOKEN;',
      "import { parse } from 'yaml';",
      "import { joinPath } from '../source/file-tree.ts';",
    ].join('\n');
    const found = findRuntimeImports('lib/x/y.ts', source, root).map((v) => `${v.line}: ${v.what}`);
    expect(found).toEqual([
      '1: imports node:fs/promises',
      '2: imports the Node built-in crypto',
      '3: imports cloudflare:workers',
      '4: imports ../../functions/node.ts (functions/ is runtime code)',
      '5: imports node:path',
      '6: reads process.env',
    ]);
  });
});
