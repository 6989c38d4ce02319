import fc from '../node_modules/fast-check/lib/fast-check.js';
import { dotenvCase, yamlCase } from '/work/wt/sops/test/tools/secrets/sops-plaintexts.ts';
const [kind, seed, idx] = process.argv.slice(2);
const arb = kind === 'env' ? dotenvCase : yamlCase;
const off = kind === 'env' ? 2 : 0;
const s = fc.sample(arb, { seed: Number(seed) + off, numRuns: Number(idx) + 1 });
const c = s[Number(idx)]!;
process.stdout.write(c.bytes);
console.error(c.rules, c.flags);
