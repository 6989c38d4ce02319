import { describe, expect, it } from 'vitest';
import type { ChangeSet } from '../../../lib/apply/apply.ts';
import { ApplyError } from '../../../lib/errors.ts';
import type { Plan } from '../../../lib/plan/plan.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import {
  annotationBatches,
  planCheckOutput,
  statusDescription,
} from '../../../lib/report/github.ts';
import { escapeHtml, planHtml, runRecordHtml } from '../../../lib/report/html.ts';
import {
  annotationTitleLimit,
  checkOutputLimit,
  descriptionLimit,
} from '../../../lib/report/limits.ts';
import { redactingLogger } from '../../../lib/report/logger.ts';
import type { PullRequestPlan, RunRecord } from '../../../lib/report/outcomes.ts';
import { redacted } from '../../../lib/report/redacted.ts';
import { changeSetText, planText, runRecordText } from '../../../lib/report/text.ts';
import { noSecrets, SecretLedger } from '../../../lib/secrets/secret-ledger.ts';

const canary = 'canary-7f3a9c-secret';
const ledger = new SecretLedger();
ledger.record([canary]);

const hostile = '<script>alert(1)</script>\x1b[2J';

const plan: Plan = {
  app: 'web',
  namespace: 'web',
  revision: 'a'.repeat(40),
  applySetId: 'applyset-x-v1',
  digest: `sha256:${'b'.repeat(64)}`,
  entries: [
    {
      ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: hostile },
      apiVersion: 'v1',
      action: 'update',
      diff: `--- a\n+++ b\n-  note: ${canary}\n+  note: ***\n`,
      error: `ConfigMap web/x: apply failed: value ${canary}`,
    },
  ],
  summary: { create: 0, update: 1, unchanged: 0, delete: 0, errors: 1, drifted: 0 },
  digests: { desired: `sha256:${'c'.repeat(64)}`, live: `sha256:${'d'.repeat(64)}` },
  warnings: [],
};

const invalid = new ApplyError(`Secret web/b: invalid ${canary}`, { object: 'Secret web/b' });

const changeSet: ChangeSet = {
  app: 'web',
  namespace: 'web',
  revision: 'c'.repeat(40),
  applySetId: 'applyset-x-v1',
  entries: [
    { ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: 'a' }, action: 'created' },
    {
      ref: { group: '', kind: 'Secret', namespace: 'web', name: 'b' },
      action: 'failed',
      error: invalid,
    },
  ],
  ok: false,
  errors: [invalid],
  warnings: [],
  digest: `sha256:${'e'.repeat(64)}`,
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:00:01Z',
};

describe('the redaction boundary', () => {
  it('is the only way to a view, and leaves no decrypted value in any surface', () => {
    const safePlan = redacted(plan, ledger);
    const safeChanges = redacted(changeSet, ledger);
    const outputs = [
      planText(safePlan),
      planText(safePlan, { colour: true }),
      planHtml(safePlan),
      changeSetText(safeChanges),
      statusDescription(redacted({ kind: 'apply-failed' as const, changeSet }, ledger)),
    ];
    for (const output of outputs) expect(output).not.toContain(canary);
    expect(outputs[0]).toContain('value ***');
  });
});

describe('text', () => {
  it('colours only when asked, and never passes control characters through', () => {
    const safe = redacted(plan, noSecrets);
    expect(planText(safe)).not.toContain('\x1b');
    expect(planText(safe)).toContain('\\x1b[2J');
    expect(planText(safe, { colour: true })).toContain('\x1b[31m-  note:');
    expect(planText(safe, { colour: true })).not.toContain('\x1b[2J');
  });

  it('lists a change set as kubectl apply does', () => {
    expect(changeSetText(redacted(changeSet, ledger))).toBe(
      'ConfigMap web/a created\nSecret web/b failed: Secret web/b: invalid ***\nweb at cccccccccccc: FAILED (1 error(s))\n',
    );
  });

  it('prints a run record as the sweep lists it', () => {
    const record = (r: RunRecord) => runRecordText(redacted(r, noSecrets));
    const base = { kind: 'sweep' as const, repo: 'acme/deploy', app: 'web', sha: 'd'.repeat(40) };
    expect(record({ ...base, status: 'in-sync', issue: 'closed' })).toBe(
      'acme/deploy web: in sync (drift issue closed)\n',
    );
    expect(record({ ...base, status: 'applied', missedHead: true })).toBe(
      'acme/deploy web: applied the missed head ddddddd\n',
    );
    expect(
      record({ ...base, status: 'failed', failure: { stage: 'render', message: 'bad' } }),
    ).toBe('acme/deploy web: failed: bad\n');
    expect(record({ ...base, status: 'skipped', reason: 'paused' })).toBe(
      'acme/deploy web: skipped: paused\n',
    );
  });
});

describe('GitHub', () => {
  it('cuts status descriptions to 140 characters after redaction, never inside a value', () => {
    const message = `${'x'.repeat(120)} ${canary} and more text after it`;
    const description = statusDescription(
      redacted({ kind: 'failed' as const, failure: { stage: 'apply' as const, message } }, ledger),
    );
    expect(description.length).toBeLessThanOrEqual(descriptionLimit);
    // Cut first, then redacted, would have left a prefix of the canary no redactor matches.
    expect(description).not.toContain(canary.slice(0, 8));
  });

  it('keeps check run output within GitHub limits and annotates failures at their file', () => {
    const big: Plan = {
      ...plan,
      entries: Array.from({ length: 200 }, (_, i) => ({
        ...(plan.entries[0] as Plan['entries'][number]),
        ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: `cm-${i}` },
        diff: `+${'y'.repeat(2_000)}\n`,
      })),
    };
    const pr: PullRequestPlan = {
      repo: 'acme/deploy',
      number: 3,
      headSha: 'e'.repeat(40),
      apps: [
        { kind: 'planned', app: 'web', target: 'prod', plan: big },
        {
          kind: 'failed',
          app: 'api',
          failure: {
            stage: 'render',
            message: `x${'z'.repeat(40_000)}`,
            file: 'apps/api/kustomization.yaml',
            line: 4,
          },
        },
      ],
    };
    const output = planCheckOutput(redacted(pr, ledger), 'plumbline.yaml');
    expect(output.summary.length).toBeLessThanOrEqual(checkOutputLimit);
    expect(output.summary).not.toContain(canary);
    expect(output.title).toBe('2 app(s) failed · 0 to create, 1 to update, 0 to delete');
    expect(output.annotations).toHaveLength(1);
    expect(output.annotations[0]).toMatchObject({
      path: 'apps/api/kustomization.yaml',
      startLine: 4,
    });
    expect(output.annotations[0]?.title?.length).toBeLessThanOrEqual(annotationTitleLimit);
    expect(output.annotations[0]?.message.length).toBeLessThan(17_000);
  });

  it('sends annotations 50 per request', () => {
    expect(
      annotationBatches(Array.from({ length: 120 }, (_, i) => i)).map((b) => b.length),
    ).toEqual([50, 50, 20]);
    expect(annotationBatches([])).toEqual([[]]);
  });
});

describe('HTML', () => {
  it('escapes every text from repositories and servers', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    const html = planHtml(redacted(plan, ledger));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain(canary);
    const record = runRecordHtml(
      redacted<RunRecord>(
        {
          kind: 'deploy',
          repo: 'acme/deploy',
          app: hostile,
          status: 'failed',
          failure: { stage: 'apply', message: `<img src=x onerror=alert(1)> ${canary}` },
          changeSet,
        },
        ledger,
      ),
    );
    expect(record).not.toMatch(/<img|<script/);
    expect(record).not.toContain(canary);
    expect(record).toContain('class="plumbline-status plumbline-failed"');
  });
});

describe('logs', () => {
  it('pass messages and fields through the job redactor', () => {
    const sink = new MemoryLogger();
    redactingLogger(sink, ledger).log('error', `failed with ${canary}`, {
      error: `value ${canary}`,
      nested: { detail: [canary] },
    });
    expect(JSON.stringify(sink.entries)).not.toContain(canary);
    expect(sink.entries[0]).toMatchObject({
      message: 'failed with ***',
      fields: { error: 'value ***' },
    });
  });
});
