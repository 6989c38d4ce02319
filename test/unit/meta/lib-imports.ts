/**
 * Finds what would tie `lib/` to a runtime: imports of `node:*`, bare Node built-ins,
 * `cloudflare:*` or `functions/`, and reads of `process.env` (or any `process.` global).
 */
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

const nodeBuiltins = new Set(builtinModules);

/** One violation: where, and what. */
export interface Violation {
  file: string;
  line: number;
  what: string;
}

const importPattern =
  /(?:\bimport\s*(?:[^'"]*?\bfrom\s*)?|\bexport\s+[^'"]*?\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Violations in one file's source. `file` is its path relative to the repository root. */
export function findRuntimeImports(file: string, source: string, root: string): Violation[] {
  const violations: Violation[] = [];
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  for (const match of source.matchAll(importPattern)) {
    const specifier = match[1] ?? '';
    const line = lineOf(match.index ?? 0);
    if (specifier.startsWith('node:'))
      violations.push({ file, line, what: `imports ${specifier}` });
    else if (specifier.startsWith('cloudflare:')) {
      violations.push({ file, line, what: `imports ${specifier}` });
    } else if (nodeBuiltins.has(specifier.split('/')[0] ?? '')) {
      violations.push({ file, line, what: `imports the Node built-in ${specifier}` });
    } else if (specifier.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), specifier));
      if (target === 'functions' || target.startsWith('functions/')) {
        violations.push({ file, line, what: `imports ${specifier} (functions/ is runtime code)` });
      }
    }
  }
  for (const match of source.matchAll(/\bprocess\s*\.\s*(env|argv|exit|cwd|versions)\b/g)) {
    violations.push({ file, line: lineOf(match.index ?? 0), what: `reads process.${match[1]}` });
  }
  return violations;
}
