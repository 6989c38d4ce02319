/**
 * Summarizes a V8 `.cpuprofile` (what `BENCH_SCALE_PROFILE` writes per phase): self and
 * inclusive milliseconds by function, heaviest first, so a phase's hotspots read at a glance.
 *
 *   node bench/scale/profile-summary.ts DIR/cold-start.cpuprofile [TOP] [--objects N]
 *
 * Inclusive time counts a function once per sample even when it recurses.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** One node of V8's profile tree. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of a `.cpuprofile` this reads. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { objects: { type: 'string' } },
});
const [file, topArg] = positionals;
if (!file) {
  console.error('usage: node bench/scale/profile-summary.ts FILE.cpuprofile [TOP] [--objects N]');
  process.exit(2);
}
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const where = f.url ? ` ${f.url.split('/').at(-1)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where}`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let totalMs = 0;
let idleMs = 0;
profile.samples.forEach((id, i) => {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  totalMs += ms;
  const leaf = byId.get(id);
  if (!leaf) return;
  if (leaf.callFrame.functionName === '(idle)') {
    idleMs += ms;
    return;
  }
  const leafLabel = label(leaf);
  self.set(leafLabel, (self.get(leafLabel) ?? 0) + ms);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const node = byId.get(at);
    if (!node) break;
    const l = label(node);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
  }
});
const busy = totalMs - idleMs;
const objects = values.objects ? Number(values.objects) : undefined;
const perObject = (ms: number) => (objects ? ` ${(ms / objects).toFixed(3).padStart(8)}/obj` : '');
console.log(
  `${file}: ${(totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy${
    objects ? `, ${(busy / objects).toFixed(2)} ms busy per object (${objects})` : ''
  }`,
);
const print = (title: string, table: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, ms] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const share = ((100 * ms) / busy).toFixed(1).padStart(5);
    console.log(`${ms.toFixed(0).padStart(8)} ms ${share}%${perObject(ms)}  ${name}`);
  }
};
print('self time', self);
print('inclusive time', inclusive);
