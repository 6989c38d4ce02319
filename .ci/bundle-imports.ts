/**
 * The modules a bundle loads at run time: every static `import … from "x"`, side-effect
 * `import "x"`, re-export `export … from "x"`, dynamic `import("x")` and `require("x")` left in
 * its code, minified or not (`import{a as b}from"x"` has no space and need not start a line).
 * It errs towards finding too much: a string that merely looks like an import is reported too.
 */

/** Static imports and re-exports: `import`/`export`, an optional clause ending in `from`, the specifier. */
const STATIC =
  /(?<![\w$.])(?:import|export)\s*(?:(?:[\w$]+\s*,?\s*)?(?:\*\s*as\s*[\w$]+|\*|\{[^}]*\})?\s*from\s*)?["']([^"'\s]+)["']/g;

/** `import("x")`, `require("x")` and esbuild's `__require("x")`. */
const CALL = /(?<![\w$.])(?:import|require|__require)\s*\(\s*["']([^"'\s]+)["']\s*\)/g;

/** The specifiers `code` imports, requires or re-exports. */
export function runtimeImports(code: string): Set<string> {
  const found = new Set<string>();
  for (const match of code.matchAll(STATIC)) found.add(match[1] as string);
  for (const match of code.matchAll(CALL)) found.add(match[1] as string);
  return found;
}
