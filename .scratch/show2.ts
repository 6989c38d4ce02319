import fc from '../node_modules/fast-check/lib/fast-check.js';
import { yamlCaseOf } from '../test/tools/secrets/sops-plaintexts.ts';
const [seed, idx] = process.argv.slice(2);
const s = fc.sample(yamlCaseOf(true), { seed: Number(seed) + 4, numRuns: Number(idx) + 1 });
const c = s[Number(idx)]!;
process.stdout.write(c.bytes);
console.error(c.rules, c.flags);
