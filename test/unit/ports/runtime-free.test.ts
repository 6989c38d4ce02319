import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The lib/ areas of the GitHub-facing half; each must run on Workers as on Node. */
const areas = ['lib/ports', 'lib/jobs', 'lib/config', 'lib/github', 'lib/webhook'];

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('runtime-free core', () => {
  it('imports no node:, cloudflare: or functions/ module and reads no process.env', () => {
    const offences: string[] = [];
    const checked = areas.flatMap(files);
    for (const file of checked) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const specifier = match[1] ?? match[2] ?? '';
        if (/^(node:|cloudflare:)/.test(specifier) || specifier.includes('functions/')) {
          offences.push(`${relative(root, join(root, file))}: imports ${specifier}`);
        }
      }
      if (/\bprocess\.env\b/.test(text)) offences.push(`${file}: reads process.env`);
    }
    expect(checked.length).toBeGreaterThan(10);
    expect(offences).toEqual([]);
  });
});
