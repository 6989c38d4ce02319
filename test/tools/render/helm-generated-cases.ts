/**
 * Generated differential cases for values precedence: random values trees (every scalar type,
 * YAML 1.1 words, nulls, lists, nested maps) as the chart's defaults, `valuesFile`,
 * `valuesInline` and `additionalValuesFiles`, under every `valuesMerge`, from a seeded
 * fast-check generator so every run builds the same cases. The chart prints `.Values` as JSON,
 * so any difference in precedence, merging or typing shows in the output.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { ConformanceCase } from './harness.ts';
import { valuesChart } from './helm-charts.ts';

// One YAML 1.1 boolean word only: `yes:` and `on:` in one mapping are the same key, which
// kustomize's YAML reader takes (last wins) and Plumbline's refuses (a render-wide difference
// left to the YAML reader, not to Helm).
const keys = fc.constantFrom('a', 'b', 'c', 'list', 'nested', 'yes', 'n1', 'empty');

const scalar = fc.oneof(
  fc.constantFrom('yes', 'no', 'on', 'off', 'true', '~', 'null', '010', '1.0', '', 'x y', '0x1F'),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -1000, max: 100000 }),
  fc.constantFrom(0.5, 1.25, -3.75, 1e6),
  fc.boolean(),
  fc.constant(null),
);

const { tree } = fc.letrec<{ tree: Record<string, unknown>; value: unknown }>((tie) => ({
  tree: fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    tie('tree'),
  ),
}));

const merges = fc.constantFrom(undefined, 'override', 'merge', 'replace');

/** `count` cases from `seed`. */
export function generatedHelmCases(count: number, seed: number): ConformanceCase[] {
  const samples = fc.sample(
    fc.record({
      defaults: tree,
      file: fc.option(tree, { nil: undefined }),
      inline: fc.option(tree, { nil: undefined }),
      additional: fc.array(tree, { maxLength: 2 }),
      merge: merges,
    }),
    { seed, numRuns: count },
  );
  return samples.map((s, i) => {
    const files: Record<string, string> = {
      ...valuesChart('app/charts/vals', stringify(s.defaults)),
    };
    const entry: Record<string, unknown> = { name: 'vals', releaseName: 'gen' };
    if (s.file) {
      files['app/file-values.yaml'] = stringify(s.file);
      entry.valuesFile = 'file-values.yaml';
    }
    if (s.inline) entry.valuesInline = s.inline;
    if (s.merge) entry.valuesMerge = s.merge;
    if (s.additional.length > 0) {
      entry.additionalValuesFiles = s.additional.map((_, j) => `more-${j}.yaml`);
      s.additional.forEach((t, j) => {
        files[`app/more-${j}.yaml`] = stringify(t);
      });
    }
    files['app/kustomization.yaml'] = stringify({ helmCharts: [entry] });
    return { name: `helm generated values #${i} (seed ${seed})`, files };
  });
}
