/** Shared set-up of the flow tests: a repository in a `MemoryGitHost` and a fake cluster. */
import type { KubernetesTarget } from '../../../lib/config/target-binding.ts';
import type { FlowDeps } from '../../../lib/flows/flow-deps.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';

export const REPO = 'acme/deploy';
export const ref = { owner: 'acme', repo: 'deploy' };

/** The operator's binding `prod`, serving this repository in namespaces web and api. */
export const prodTarget: KubernetesTarget = {
  kind: 'kubernetes',
  name: 'prod',
  server: 'https://k8s.example.com',
  credentials: { kind: 'token', secret: 'prod-token' },
  repositories: [REPO],
  namespaces: ['web', 'api'],
  clusterResources: false,
  allowLinkLocal: false,
};

/** `plumbline.yaml` with apps `web` and `api` (and `extra` lines appended). */
export const config = (extra = '') => `apps:
  - name: web
    path: apps/web
    target: prod
    namespace: web
  - name: api
    path: apps/api
    target: prod
    namespace: api
${extra}`;

/** A ConfigMap manifest. */
export const configMap = (name: string, color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  color: ${color}\n`;

/** A repository with both apps rendering one ConfigMap each. */
export const baseFiles = (color = 'blue'): Record<string, string> => ({
  'plumbline.yaml': config(),
  'apps/web/settings.yaml': configMap('settings', color),
  'apps/api/settings.yaml': configMap('api-settings', 'red'),
});

/** Ports of a flow over the memory host and one fake cluster, counting client hand-outs. */
export function flowSetup() {
  const git = new MemoryGitHost();
  const kube = createFakeKubeClient();
  const logger = new MemoryLogger();
  const clientsFor: string[] = [];
  const deps: FlowDeps = {
    registry: new StaticRepoRegistry([REPO]),
    gitHostFor: () => git,
    targets: [prodTarget],
    clusters: {
      async clientFor(target) {
        clientsFor.push(target.name);
        return kube;
      },
    },
    holder: 'test',
    logger,
  };
  return { git, kube, logger, deps, clientsFor };
}
