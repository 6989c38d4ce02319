/**
 * The import rules `docs/architecture.md` states, checked on the real module graph: the layers
 * of `lib/`, the pipeline order inside them, the runtimes kept apart in `functions/`, and no
 * import cycles. (`lib/` staying runtime-free is `lib-runtime-free.test.ts`.) Each rule is also
 * shown to catch a made-up violation, so none of them can pass by checking nothing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cyclesOf, type ImportEdge, importGraph } from './import-graph.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The layers of `lib/`, lowest first: a folder imports only its own layer and those below. */
const LIB_LAYERS: readonly (readonly string[])[] = [
  ['core', 'errors.ts'],
  ['source', 'secrets', 'kube', 'ports'],
  ['github', 'render', 'inventory', 'desired', 'config', 'credentials'],
  ['apply', 'plan', 'drift'],
  ['report', 'flows', 'hosts', 'jobs', 'history', 'webhook', 'status'],
];

/** Pairs inside one layer that must not import each other in this direction: the pipeline. */
const FORBIDDEN: readonly [from: string, to: string, why: string][] = [
  ['lib/apply', 'lib/plan', 'apply runs a plan it is given; what both need lives below them'],
  ['lib/apply', 'lib/drift', 'drift is found from applied state, never the other way'],
  ['lib/plan', 'lib/drift', 'drift reuses the plan, never the other way'],
  ['lib/render', 'lib/desired', 'desired state is made from the render, never the other way'],
  ['functions/cloudflare', 'functions/node', 'the Workers runtime never loads Node code'],
  ['functions/cloudflare', 'functions/cli', 'the Workers runtime never loads the CLI'],
  ['functions/node', 'functions/cloudflare', 'the Node runtime never loads Workers code'],
];

/**
 * The area a file belongs to: `lib/<folder>`, `lib/errors.ts`, or `functions/<runtime>` (an
 * entry point such as `functions/node.ts` belongs to its runtime's folder).
 */
function areaOf(path: string): string {
  const parts = path.replace(/\.ts$/, '').split('/');
  if (parts[0] === 'functions' && parts.length === 2) return `functions/${parts[1]}`;
  if (parts.length === 2) return `${parts[0]}/${parts[1]}.ts`;
  return `${parts[0]}/${parts[1]}`;
}

function layerOf(area: string): number | undefined {
  if (!area.startsWith('lib/')) return undefined;
  const name = area.slice('lib/'.length);
  const layer = LIB_LAYERS.findIndex((names) => names.includes(name));
  return layer < 0 ? undefined : layer;
}

/** Every edge that breaks a rule, as `from:line -> to (why)`. */
function violationsOf(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const edge of edges) {
    const from = areaOf(edge.from);
    const to = areaOf(edge.to);
    const where = `${edge.from}:${edge.line} -> ${edge.to}`;
    if (from.startsWith('lib') && to.startsWith('functions')) {
      out.push(`${where} (lib/ never imports functions/)`);
      continue;
    }
    const fromLayer = layerOf(from);
    const toLayer = layerOf(to);
    if (from.startsWith('lib') && fromLayer === undefined) {
      out.push(`${where} (${from} is in no layer: add it to LIB_LAYERS and the architecture doc)`);
    } else if (fromLayer !== undefined && toLayer !== undefined && toLayer > fromLayer) {
      out.push(`${where} (layer ${fromLayer} imports layer ${toLayer})`);
    }
    for (const [a, b, why] of FORBIDDEN) {
      const under = (area: string, prefix: string) =>
        area === prefix || area === `${prefix}.ts` || area.startsWith(`${prefix}/`);
      if (under(from, a) && under(to, b)) out.push(`${where} (${why})`);
    }
  }
  return out;
}

describe('import rules (docs/architecture.md)', () => {
  const edges = importGraph(root, ['lib', 'functions']);

  it('reads a graph of the real size', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.some((e) => e.from === 'lib/apply/apply.ts' && e.to.startsWith('lib/kube/'))).toBe(
      true,
    );
  });

  it('lib/ folders import only their own layer and those below, in pipeline order', () => {
    expect(violationsOf(edges)).toEqual([]);
  });

  it('no file of lib/ or functions/ is part of an import cycle, type-only imports included', () => {
    expect(cyclesOf(edges)).toEqual([]);
  });

  it('every lib/ folder is in exactly one layer', () => {
    const folders = new Set(edges.map((e) => areaOf(e.from)).filter((a) => a.startsWith('lib/')));
    const named = LIB_LAYERS.flat();
    expect(new Set(named).size).toBe(named.length);
    for (const folder of folders) expect(named).toContain(folder.slice('lib/'.length));
  });
});

describe('the import rule checker', () => {
  const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({
    from,
    to,
    typeOnly,
    line: 1,
  });

  it('catches an import up the layers, apply reaching into plan, and runtimes mixed', () => {
    expect(
      violationsOf([
        edge('lib/core/object.ts', 'lib/kube/client.ts'),
        edge('lib/kube/client.ts', 'lib/flows/run-flow.ts', true),
        edge('lib/apply/apply.ts', 'lib/plan/plan.ts', true),
        edge('lib/render/index.ts', 'lib/desired/digest.ts'),
        edge('lib/plan/plan.ts', 'functions/node/settings.ts'),
        edge('lib/newfolder/x.ts', 'lib/core/object.ts'),
        edge('functions/cloudflare/worker-app.ts', 'functions/node/settings.ts'),
        edge('functions/cloudflare.ts', 'functions/cli/serve.ts'),
        edge('functions/node/settings.ts', 'functions/cloudflare/settings.ts'),
      ]),
    ).toEqual([
      'lib/core/object.ts:1 -> lib/kube/client.ts (layer 0 imports layer 1)',
      'lib/kube/client.ts:1 -> lib/flows/run-flow.ts (layer 1 imports layer 4)',
      'lib/apply/apply.ts:1 -> lib/plan/plan.ts (apply runs a plan it is given; what both need lives below them)',
      'lib/render/index.ts:1 -> lib/desired/digest.ts (desired state is made from the render, never the other way)',
      'lib/plan/plan.ts:1 -> functions/node/settings.ts (lib/ never imports functions/)',
      'lib/newfolder/x.ts:1 -> lib/core/object.ts (lib/newfolder is in no layer: add it to LIB_LAYERS and the architecture doc)',
      'functions/cloudflare/worker-app.ts:1 -> functions/node/settings.ts (the Workers runtime never loads Node code)',
      'functions/cloudflare.ts:1 -> functions/cli/serve.ts (the Workers runtime never loads the CLI)',
      'functions/node/settings.ts:1 -> functions/cloudflare/settings.ts (the Node runtime never loads Workers code)',
    ]);
  });

  it('allows imports down the layers and within one', () => {
    expect(
      violationsOf([
        edge('lib/flows/deploy-app.ts', 'lib/apply/apply.ts'),
        edge('lib/plan/plan.ts', 'lib/apply/apply.ts'),
        edge('lib/kube/client.ts', 'lib/errors.ts'),
        edge('functions/node.ts', 'functions/node/settings.ts'),
      ]),
    ).toEqual([]);
  });

  it('finds a cycle through type-only imports, and none in a chain', () => {
    expect(
      cyclesOf([
        edge('lib/a.ts', 'lib/b.ts'),
        edge('lib/b.ts', 'lib/c.ts', true),
        edge('lib/c.ts', 'lib/a.ts'),
        edge('lib/c.ts', 'lib/d.ts'),
      ]),
    ).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/c.ts']]);
    expect(cyclesOf([edge('lib/a.ts', 'lib/b.ts'), edge('lib/b.ts', 'lib/c.ts')])).toEqual([]);
  });
});
