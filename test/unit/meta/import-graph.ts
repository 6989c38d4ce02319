/**
 * The module graph of the repository's own code: every relative import of every file under
 * `lib/` and `functions/`, with whether it is type-only (erased at runtime). Used by the test of
 * the import rules `docs/architecture.md` states.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One import of one file. */
export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  from: string;
  /** The imported file, relative to the repository root. */
  to: string;
  /** `import type` / `export type`: no runtime dependency. */
  typeOnly: boolean;
  line: number;
}

const statement =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative imports in one file's source (`file` relative to `root`). */
export function importsOf(file: string, source: string, root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of source.matchAll(statement)) {
    const specifier = match[3] ?? match[4] ?? '';
    if (!specifier.startsWith('.')) continue;
    const to = relative(root, resolve(root, dirname(file), specifier));
    const line = source.slice(0, (match.index ?? 0) + (match[0].startsWith('\n') ? 1 : 0));
    edges.push({
      from: file,
      to,
      typeOnly: match[2] !== undefined,
      line: line.split('\n').length,
    });
  }
  return edges;
}

/** The TypeScript sources under `dirs` (relative to `root`), tests and declarations left out. */
export function sourcesUnder(root: string, dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter(
        (entry) =>
          entry.isFile() &&
          entry.name.endsWith('.ts') &&
          !entry.name.endsWith('.d.ts') &&
          !entry.name.endsWith('.test.ts'),
      )
      .map((entry) => relative(root, join(entry.parentPath, entry.name))),
  );
}

/** Every relative import of the files under `dirs`. */
export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  return sourcesUnder(root, dirs).flatMap((file) =>
    importsOf(file, readFileSync(join(root, file), 'utf8'), root),
  );
}

/**
 * The import cycles among `edges` (strongly connected components of more than one file, or a
 * file importing itself), each as its files sorted.
 */
export function cyclesOf(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
    if (!next.has(edge.to)) next.set(edge.to, []);
  }
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const start of next.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; child: number }[] = [{ node: start, child: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; child: number };
      const children = next.get(frame.node) ?? [];
      if (frame.child < children.length) {
        const child = children[frame.child++] as string;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(child) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) {
        low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = (next.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}
