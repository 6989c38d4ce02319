import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { createEdge } from './test/workers/edge.ts';
import { WORKERS_TEST, workersTargets } from './test/workers/fixtures.ts';

// The `workers` project: tests run inside workerd with the Worker of wrangler.toml, its queues
// and Durable Object simulated by Miniflare. The global setup (Node) starts the real
// kube-apiserver and the GitHub test server; every fetch the Worker makes goes through the
// edge emulation (Cloudflare Access + Tunnel), so nothing reaches the internet.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const fixture = inject('workers');
      const origin = inject('workersOrigin');
      const accessTeam = inject('workersAccessTeam');
      return {
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            PLUMBLINE_WEBHOOK_SECRETS: `${fixture.webhookSecret},previous-secret`,
            PLUMBLINE_REPOSITORIES: `${fixture.repo},acme/unreadable`,
            PLUMBLINE_GITHUB_API_URL: fixture.githubUrl,
            GITHUB_TOKEN: fixture.githubToken,
            PLUMBLINE_SECRET_STAGING_TOKEN: fixture.clusterToken,
            PLUMBLINE_SECRET_CF_ACCESS: fixture.access.clientSecret,
            PLUMBLINE_TARGETS: JSON.stringify(workersTargets(fixture, origin)),
            PLUMBLINE_RETRY_BASE_SECONDS: '0',
            PLUMBLINE_STATUS_TOKEN: WORKERS_TEST.statusToken,
            PLUMBLINE_LOG_LEVEL: 'warn',
          },
          queueConsumers: {
            'plumbline-jobs': {
              maxBatchSize: 10,
              maxBatchTimeout: 0,
              maxRetries: 1,
              deadLetterQueue: 'plumbline-jobs-dlq',
            },
            'plumbline-jobs-dlq': { maxBatchSize: 10, maxBatchTimeout: 0 },
          },
          outboundService: createEdge({
            tunnelHost: fixture.tunnelHost,
            downHost: fixture.downHost,
            attackerHost: fixture.attackerHost,
            access: fixture.access,
            origin,
            githubAppHost: WORKERS_TEST.githubAppHost,
            githubAppId: WORKERS_TEST.githubAppId,
            accessTeam: {
              teamDomain: accessTeam.teamDomain,
              keys: [{ ...accessTeam.publicJwk, kid: accessTeam.kid, alg: 'RS256', use: 'sig' }],
            },
          }),
        },
      };
    }),
  ],
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/workers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
