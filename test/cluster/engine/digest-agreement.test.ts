/**
 * One digest format everywhere: what `plumbline apply` records from a directory is what the
 * push flow computes for the same files at a commit, so an app applied from the CLI does not
 * look changed to the flows (and the other way round).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import type { FlowDeps } from '../../../lib/flows/flow-deps.ts';
import { readInventory } from '../../../lib/inventory/applyset.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { captureIo } from '../../env/cli-io.ts';
import { testTargetBinding } from '../../env/target-config.ts';
import { adminKube, cluster, freshNamespace } from './cluster.ts';

describe('the CLI and the flows agree on the digest', () => {
  it('records sha256:<hex> from the CLI, which the push flow finds equal to the head’s', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'digest');
    const files: Record<string, string> = {
      'apps/web/kustomization.yaml':
        'resources: [cm.yaml]\nconfigMapGenerator:\n  - name: gen\n    literals: [a=1]\n',
      'apps/web/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  v: "1"\n',
      'plumbline.yaml': [
        'apps:',
        '  - name: web',
        '    path: apps/web',
        '    target: test',
        `    namespace: ${ns}`,
        '',
      ].join('\n'),
    };
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-digest-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const c = captureIo();
    const flags = [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      ns,
      '--app',
      'web',
      '--revision',
      'cli',
    ];
    expect(await runCli(['apply', join(dir, 'apps/web'), ...flags], c.io)).toBe(0);
    const recorded = (await readInventory(client, 'web', ns)).digest;
    expect(recorded).toMatch(/^sha256:[0-9a-f]{64}$/);

    const git = new MemoryGitHost();
    git.commit('acme/deploy', 'main', files);
    const deps: FlowDeps = {
      registry: new StaticRepoRegistry(['acme/deploy']),
      gitHostFor: () => git,
      targets: [testTargetBinding(cluster, 'test', 't')],
      clusters: { clientFor: async () => client },
      holder: 'flow',
      logger: new MemoryLogger(),
    };
    const outcome = await deployApp(
      { kind: 'reconcile', repo: 'acme/deploy', app: 'web', branch: 'main', deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({
      status: 'skipped',
      reason: 'unchanged: the applied digest equals the head’s',
    });
    expect(git.deployments).toEqual([]);
  });
});
