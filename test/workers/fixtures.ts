/**
 * What the Node side of the Workers tests hands to the tests inside workerd (through vitest's
 * `provide`): addresses, credentials and signed webhook deliveries. Plain data only.
 */

/** A webhook delivery as GitHub sends it: headers and the exact body that was signed. */
export interface DeliveryFixture {
  headers: Record<string, string>;
  body: string;
}

/** The test world of the `workers` project. */
export interface WorkersFixture {
  /** The GitHub test server (backed by a real git repository). */
  githubUrl: string;
  githubToken: string;
  webhookSecret: string;
  /** The repository served, and the head of its `main`. */
  repo: string;
  head: string;
  /**
   * Apps in its `plumbline.yaml`: `web` deploys through the Tunnel, `flaky`'s Tunnel origin is
   * down, `private` names the API server's private CA (which a Worker cannot trust).
   */
  namespace: string;
  /** The Tunnel host of the real kube-apiserver, and the Access service token it demands. */
  tunnelHost: string;
  downHost: string;
  access: { clientId: string; clientSecret: string };
  /** A bearer token of the cluster (system:masters), held as the Worker secret `staging-token`. */
  clusterToken: string;
  /** The private CA of the API server (a target naming it must be refused on Workers). */
  caPem: string;
  deliveries: {
    push: DeliveryFixture;
    /** A push to main that lists no changed file (the head did not move). */
    pushUnchanged: DeliveryFixture;
    pushOtherRepo: DeliveryFixture;
    pullRequestOpened: DeliveryFixture;
    /** A push to branch `evil`, whose plumbline.yaml redefines `staging` at the attacker. */
    pushEvil: DeliveryFixture;
    /** Pull request 9 from `evil` into main (same repository). */
    pullRequestEvil: DeliveryFixture;
  };
  /** The attacker's API server: the edge records what reaches it (`attackerRecordUrl`). */
  attackerHost: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    workers: WorkersFixture;
  }
}

/**
 * The Worker's target bindings (the operator's `PLUMBLINE_TARGETS`): `staging` and `down`
 * behind Tunnel and Access, `onprem` naming the API server's private CA directly.
 */
export function workersTargets(
  fixture: Pick<WorkersFixture, 'tunnelHost' | 'downHost' | 'access' | 'repo' | 'namespace'>,
  origin: { server: string; caPem: string },
): Record<string, unknown>[] {
  const scope = {
    kind: 'kubernetes',
    credentials: { token: { secret: 'staging-token' } },
    repositories: [fixture.repo],
    namespaces: [fixture.namespace],
  };
  const access = { clientId: fixture.access.clientId, secret: 'cf-access' };
  return [
    { ...scope, name: 'staging', server: `https://${fixture.tunnelHost}`, access },
    { ...scope, name: 'down', server: `https://${fixture.downHost}`, access },
    { ...scope, name: 'onprem', server: origin.server, ca: origin.caPem },
  ];
}

/** Names shared by the config, the setup and the tests. */
export const WORKERS_TEST = {
  repo: 'acme/deploy',
  tunnelHost: 'k8s.tunnel.test',
  downHost: 'down.tunnel.test',
  attackerHost: 'attacker.test',
  webhookSecret: 'workers-webhook-secret',
  githubToken: 'ghs_workers_test_token',
  access: { clientId: 'access-client.id', clientSecret: 'access-client-secret-value' },
  statusToken: 'status-token-value',
  githubAppHost: 'github-app.test',
  githubAppId: '4242',
  accessTeamDomain: 'acme-team.cloudflareaccess.com',
  accessAudience: 'status-page-aud-tag',
} as const;

/** Where the edge reports what reached the attacker's host (never forwarded, never recorded). */
export const ATTACKER_RECORD_PATH = '/__requests_seen_by_the_attacker';
