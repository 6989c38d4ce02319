import { describe, expect, it } from 'vitest';
import { describeCharts } from '../../../lib/report/chart-summary.ts';
import { statusDescription } from '../../../lib/report/github.ts';
import { pullRequestComment } from '../../../lib/report/markdown.ts';
import type { PullRequestPlan } from '../../../lib/report/outcomes.ts';
import { redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';

const digest = `sha256:${'0123456789ab'.repeat(5)}abcd`;

describe('chart summaries', () => {
  it('names each chart with its version (or local) and a short digest', () => {
    expect(
      describeCharts([
        { name: 'web', version: '1.1.0', repo: 'oci://ghcr.io/x', digest, locked: true },
        { name: 'db', path: 'apps/db/charts/db', digest, locked: true },
      ]),
    ).toBe('web 1.1.0 (sha256:0123456789ab), db local (sha256:0123456789ab)');
  });

  it('shows the charts in the GitHub deployment description', () => {
    const event = { kind: 'deployment' as const, app: 'shop', target: 'dev', namespace: 'store' };
    expect(
      statusDescription(
        redacted(
          {
            ...event,
            charts: describeCharts([
              { name: 'web', version: '1.1.0', repo: 'https://c', digest, locked: true },
            ]),
          },
          noSecrets,
        ),
      ),
    ).toBe('Plumbline deploys shop to dev/store with web 1.1.0 (sha256:0123456789ab)');
  });

  it('shows the charts of a planned app in the pull request comment', () => {
    const plan: PullRequestPlan = {
      repo: 'o/r',
      number: 1,
      headSha: 'abcdef0123456789',
      apps: [
        {
          kind: 'planned',
          app: 'shop',
          target: 'dev',
          charts: [{ name: 'web', version: '1.1.0', repo: 'https://c', digest, locked: true }],
          plan: {
            app: 'shop',
            namespace: 'store',
            revision: 'abcdef0',
            entries: [],
            summary: { create: 0, update: 0, delete: 0, unchanged: 0, errors: 0 },
            digest: 'sha256:x',
          } as unknown as PullRequestPlan['apps'][number] extends { plan: infer P } ? P : never,
        },
      ],
    };
    expect(pullRequestComment(redacted(plan, noSecrets))).toContain(
      'Helm charts: web 1.1.0 (sha256:0123456789ab)',
    );
  });
});
