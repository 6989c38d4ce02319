/**
 * Target patterns against the real kustomize: patterns RE2 accepts select exactly what Go's
 * regexp selects (including syntax JavaScript lacks, or reads differently), and patterns RE2
 * refuses are refused by both.
 */
import { describe, expect, it } from 'vitest';
import { isRenderFailure, runCase } from '../../tools/render/harness.ts';

const names = [
  'web',
  'web-1',
  'cfg',
  'aaaaaaaaaaaaaaaaaaaaaaaaab',
  'a.b',
  'Web',
  'αβγ',
  'x_y',
  'web\u00e9',
];

const objects = names
  .map(
    (name, i) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "${name}"\n  namespace: ns${i % 3}\n`,
  )
  .join('---\n');

/** Go regexp patterns, valid and invalid in RE2, several of which JavaScript reads otherwise. */
const patterns = [
  '(a+)+b',
  'web',
  'web|cfg',
  'w.b',
  '.*-1',
  '(?i)WEB',
  '(?i:W)eb',
  '[[:alpha:]]+',
  '\\pL+',
  '\\p{Greek}+',
  '(?P<n>web)',
  '(?<n>web)',
  '\\Qa.b\\E',
  'a\\.b',
  '[^a]+',
  'a{26}b',
  'web\\z',
  '(?s).*',
  '\\x{3b1}.*',
  '[\\d\\w-]+',
  'x\\_y',
  // Refused by RE2 (and so by kustomize): backreferences, lookaround, huge repeats, syntax.
  '(a)\\1',
  'a(?=b)',
  'a(?!b)',
  '(?<=a)b',
  'a{1001}',
  '(web',
  'web)',
  '*',
  '[z-a]',
  'a**',
  '\\8',
  '\\C',
];

describe('target patterns select as kustomize selects', () => {
  for (const [i, pattern] of patterns.entries()) {
    for (const field of i % 2 === 0 ? ['name', 'namespace'] : ['name']) {
      it(`${field}: ${JSON.stringify(pattern)}`, async () => {
        const files = {
          'app/kustomization.yaml': `resources: [cm.yaml]\npatches:\n- target:\n    ${field}: '${pattern.replaceAll("'", "''")}'\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {selected: "yes"}\n`,
          'app/cm.yaml': objects,
        };
        const { kustomize, plumbline } = await runCase({ name: pattern, files });
        if (!kustomize.ok) {
          expect(plumbline.ok, `kustomize refused: ${kustomize.error.trim()}`).toBe(false);
          if (!plumbline.ok) {
            expect(isRenderFailure(plumbline.error), String(plumbline.error)).toBe(true);
            expect(String(plumbline.error)).toContain('is not a valid regular expression');
          }
          return;
        }
        if (!plumbline.ok) throw plumbline.error;
        expect(plumbline.text).toBe(kustomize.text);
      });
    }
  }
});
