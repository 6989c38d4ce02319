import { describe, expect, it } from 'vitest';
import { describeCharts } from '../../../lib/flows/chart-summary.ts';
import type { PullRequestPlan } from '../../../lib/flows/plan-pull-request.ts';
import { renderPullRequestComment } from '../../../lib/flows/pull-request-comment.ts';

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
    expect(renderPullRequestComment(plan)).toContain(
      'Helm charts: web 1.1.0 (sha256:0123456789ab)',
    );
  });
});
