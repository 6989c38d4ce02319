/**
 * A history for the status page tests: a few apps in every state (applied, drifted and healed,
 * failed with a hint, planned with a masked diff), and one app whose every field is an XSS
 * payload (name, commit title, author, page, diff, failure, drift): hostile input that must
 * stay text.
 */
import { historyPath, sqliteHistory } from '../../../functions/node/sqlite-history.ts';
import type { HistoryRecord } from '../../../lib/history/history-record.ts';
import { redacted } from '../../../lib/report/redacted.ts';
import { noSecrets } from '../../../lib/secrets/secret-ledger.ts';

/** Each payload sets `window.__xss` to its number if it ever runs. */
export const XSS = {
  app: '<img src=x onerror="window.__xss=1">',
  title: '<script>window.__xss=2</script>',
  author: '"><svg onload="window.__xss=3">',
  diff: '</pre><script>window.__xss=4</script>',
  failure: '<iframe src="javascript:window.__xss=5"></iframe>',
  url: 'javascript:window.__xss=6',
  field: '<b onmouseover="window.__xss=7">.spec</b>',
  repo: 'evil/"><script>window.__xss=8</script>',
};

const sha = (c: string) => c.repeat(40);
let t = Date.parse('2026-11-30T09:00:00Z');
const at = () => {
  t += 61_000;
  return {
    startedAt: new Date(t - 4_200).toISOString(),
    finishedAt: new Date(t).toISOString(),
    durationMs: 4_200,
  };
};

const github = (repo: string, s: string) => `https://github.com/${repo}/commit/${s}`;

/** The seeded records, oldest first. */
export function seedRecords(): HistoryRecord[] {
  const repo = 'acme/deploy';
  return [
    {
      runId: 'd-1',
      kind: 'deploy',
      trigger: 'push',
      repo,
      app: 'web',
      target: 'staging',
      commit: {
        sha: sha('1'),
        author: 'mona',
        title: 'Add the web app',
        url: github(repo, sha('1')),
      },
      appliedSha: sha('1'),
      outcome: 'applied',
      health: 'healthy',
      counts: { created: 3 },
      changes: [
        { subject: 'Namespace web', action: 'created' },
        { subject: 'Deployment.apps web/web', action: 'created' },
        { subject: 'Secret web/db', action: 'created' },
      ],
      ...at(),
    },
    {
      runId: 'pr-7',
      kind: 'plan',
      trigger: 'pull_request',
      repo,
      app: 'web',
      target: 'staging',
      pullRequest: 7,
      commit: {
        sha: sha('2'),
        author: 'hubot',
        title: 'Scale web to 3 and rotate the password',
        url: github(repo, sha('2')),
      },
      outcome: 'planned',
      counts: { create: 0, update: 2, delete: 0, unchanged: 1, errors: 0 },
      changes: [
        { subject: 'Deployment.apps web/web', action: 'update' },
        { subject: 'Secret web/db', action: 'update' },
      ],
      diff: '# update Deployment.apps web/web\n--- live/Deployment.apps.web.web\n+++ merged/Deployment.apps.web.web\n@@ -7,7 +7,7 @@\n spec:\n-  replicas: 2\n+  replicas: 3\n# update Secret web/db\n   data:\n-    password: *** (changed)\n+    password: *** (changed)\n',
      ...at(),
    },
    {
      runId: 'd-2',
      kind: 'deploy',
      trigger: 'push',
      repo,
      app: 'web',
      target: 'staging',
      commit: {
        sha: sha('2'),
        author: 'hubot',
        title: 'Scale web to 3 and rotate the password',
        url: github(repo, sha('2')),
      },
      appliedSha: sha('2'),
      outcome: 'applied',
      health: 'healthy',
      counts: { configured: 2, unchanged: 1 },
      changes: [
        { subject: 'Deployment.apps web/web', action: 'configured' },
        { subject: 'Secret web/db', action: 'configured' },
      ],
      ...at(),
    },
    {
      runId: 'd-3',
      kind: 'deploy',
      trigger: 'push',
      repo,
      app: 'api',
      target: 'production',
      commit: {
        sha: sha('3'),
        author: 'octocat',
        title: 'Deploy the api',
        url: github(repo, sha('3')),
      },
      appliedSha: sha('3'),
      outcome: 'applied',
      counts: { created: 2 },
      changes: [
        { subject: 'Deployment.apps api/api', action: 'created' },
        { subject: 'Service api/api', action: 'created' },
      ],
      ...at(),
    },
    {
      runId: 'sweep-1',
      kind: 'sweep',
      trigger: 'sweep',
      repo,
      app: 'api',
      target: 'production',
      commit: {
        sha: sha('3'),
        author: 'octocat',
        title: 'Deploy the api',
        url: github(repo, sha('3')),
      },
      appliedSha: sha('3'),
      outcome: 'drifted',
      counts: { checked: 2, drifted: 1, missing: 0, extra: 0 },
      changes: [{ subject: 'Deployment.apps api/api', action: 'drifted' }],
      drift: [
        {
          subject: 'Deployment.apps api/api',
          field: '.spec.replicas',
          changedBy: ['kubectl-scale'],
        },
      ],
      diff: '# drifted Deployment.apps api/api\n-  replicas: 5\n+  replicas: 2\n',
      ...at(),
    },
    {
      runId: 'd-4',
      kind: 'deploy',
      trigger: 'push',
      repo,
      app: 'worker',
      target: 'staging',
      commit: {
        sha: sha('4'),
        author: 'mona',
        title: 'Break the worker',
        url: github(repo, sha('4')),
      },
      outcome: 'failed',
      counts: {},
      changes: [],
      failure: {
        stage: 'render',
        message:
          'apps/worker/kustomization.yaml:3: resources[0]: file deployment.yml does not exist',
        hint: 'Fix the path in resources, or add the file.',
        file: 'apps/worker/kustomization.yaml',
        line: 3,
      },
      ...at(),
    },
    {
      runId: 'x-1',
      kind: 'deploy',
      trigger: 'push',
      repo: XSS.repo,
      app: XSS.app,
      target: 'staging',
      commit: { sha: sha('e'), author: XSS.author, title: XSS.title, url: XSS.url },
      outcome: 'failed',
      counts: { failed: 1 },
      changes: [{ subject: XSS.app, action: 'failed', error: XSS.failure }],
      failure: { stage: 'apply', message: XSS.failure, hint: XSS.failure },
      ...at(),
    },
    {
      runId: 'x-2',
      kind: 'sweep',
      trigger: 'sweep',
      repo: XSS.repo,
      app: XSS.app,
      target: 'staging',
      commit: { sha: sha('e'), author: XSS.author, title: XSS.title, url: XSS.url },
      appliedSha: sha('d'),
      outcome: 'drifted',
      counts: { drifted: 1 },
      changes: [],
      drift: [{ subject: XSS.app, field: XSS.field, changedBy: [XSS.author] }],
      diff: XSS.diff,
      ...at(),
    },
    {
      runId: 'x-3',
      kind: 'plan',
      trigger: 'pull_request',
      repo: XSS.repo,
      app: XSS.app,
      pullRequest: 1,
      commit: { sha: sha('e'), author: XSS.author, title: XSS.title, url: XSS.url },
      outcome: 'planned',
      counts: { update: 1 },
      changes: [],
      diff: XSS.diff,
      ...at(),
    },
  ];
}

/** Writes the seeded history into `dataDir`'s database. */
export async function seedHistory(dataDir: string): Promise<void> {
  const { store, database } = sqliteHistory(historyPath(dataDir));
  for (const record of seedRecords()) await store.record([redacted(record, noSecrets)]);
  database.close();
}
