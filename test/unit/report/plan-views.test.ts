import { describe, expect, it } from 'vitest';
import type { Plan, PlanEntry } from '../../../lib/plan/plan.ts';
import { reportJson } from '../../../lib/report/json.ts';
import { githubBodyLimit } from '../../../lib/report/limits.ts';
import { planMarkdown } from '../../../lib/report/markdown.ts';
import { type Redacted, redacted } from '../../../lib/report/redacted.ts';
import { planText } from '../../../lib/report/text.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';

function entry(name: string, action: PlanEntry['action'], diff: string): PlanEntry {
  return {
    ref: { group: '', kind: 'ConfigMap', namespace: 'shop', name },
    apiVersion: 'v1',
    action,
    diff,
  };
}

function plan(entries: PlanEntry[]): Redacted<Plan> {
  const summary = { create: 0, update: 0, unchanged: 0, delete: 0, errors: 0, drifted: 0 };
  for (const e of entries) summary[e.action]++;
  return redacted<Plan>(
    {
      app: 'shop',
      namespace: 'shop',
      revision: 'a'.repeat(40),
      applySetId: 'applyset-x-v1',
      digest: `sha256:${'b'.repeat(64)}`,
      digests: { desired: `sha256:${'c'.repeat(64)}`, live: `sha256:${'d'.repeat(64)}` },
      warnings: [],
      entries,
      summary,
    },
    noSecrets,
  );
}

const small = '--- live/x\n+++ merged/x\n@@ -1,1 +1,1 @@\n-a: 1\n+a: 2\n';

describe('plan views', () => {
  it('renders text like kubectl diff with a summary line, coloured only when asked', () => {
    const p = plan([entry('a', 'update', small), entry('b', 'unchanged', '')]);
    const text = planText(p);
    expect(text).toContain('# update ConfigMap shop/a\n--- live/x');
    expect(text).not.toContain('ConfigMap shop/b');
    expect(text).toContain('0 to create, 1 to update, 0 to delete, 1 unchanged');
    expect(text).not.toContain('\x1b[');
    expect(planText(p, { colour: true })).toContain('\x1b[32m+a: 2\x1b[0m');
  });

  it('renders Markdown with a summary table and a collapsible diff per object', () => {
    const md = planMarkdown(plan([entry('a', 'create', small), entry('b', 'delete', small)]));
    expect(md).toContain('| create | 1 |');
    expect(md).toContain('| delete | 1 |');
    expect(md.match(/<details>/g)).toHaveLength(2);
    expect(md).toContain('```diff\n--- live/x');
  });

  it("cuts Markdown below GitHub's limit, between objects, with a note", () => {
    const big = `--- a\n+++ b\n${Array.from({ length: 400 }, (_, i) => `+key${i}: ${'v'.repeat(40)}`).join('\n')}\n`;
    const entries = Array.from({ length: 40 }, (_, i) => entry(`cm-${i}`, 'create', big));
    const md = planMarkdown(plan(entries));
    expect(md.length).toBeLessThan(githubBodyLimit);
    const shown = md.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(md).toContain(`${40 - shown} more changed object(s) not shown`);
    expect(md.match(/<\/details>/g)?.length).toBe(shown);
  });

  it('uses a longer fence when a diff contains backticks', () => {
    const md = planMarkdown(plan([entry('a', 'update', '--- a\n+++ b\n+cmd: ```rm```\n')]));
    expect(md).toContain('````diff');
  });

  it('renders JSON that parses back to the plan', () => {
    const p = plan([entry('a', 'update', small)]);
    expect(JSON.parse(reportJson(p))).toEqual(p);
  });
});
