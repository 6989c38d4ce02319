/**
 * Trust rules for host targets (issue 11 applied to issue 14): a pull request only ever reads a
 * host (no validate or reload runs, nothing is written), its head cannot move an app to another
 * host or directory, a repository cannot use a host binding that does not list it, and file
 * names and contents from a repository are data on the host, never shell syntax.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localHostShell } from '../../../functions/node/local-host.ts';
import { parseHostBindings } from '../../../lib/config/host-binding.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import type { FlowDeps } from '../../../lib/flows/flow-deps.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { createHostAccess } from '../../../lib/hosts/host-access.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { MemoryGitHost } from '../../doubles/memory-git-host.ts';

const REPO = 'acme/web';

describe('host targets and untrusted input', () => {
  let root: string;
  let opens: string[];
  let git: MemoryGitHost;
  let deps: FlowDeps;
  const marker = () => join(root, 'command-ran');

  const config = (destination: string) =>
    [
      'apps:',
      '  - name: site',
      '    kind: files',
      '    path: site',
      '    target: box',
      `    destination: ${destination}`,
      `    validate: touch ${marker()}`,
      `    reload: touch ${marker()}`,
      '',
    ].join('\n');

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'plumbline-hosts-trust-'));
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    opens = [];
    git = new MemoryGitHost();
    const targets = parseHostBindings(
      [{ kind: 'local', name: 'box', repositories: [REPO], paths: [root] }],
      'test',
    );
    const access = createHostAccess({
      bindings: targets,
      secrets: new MemorySecretStore({}),
      local: () => {
        opens.push('local');
        return localHostShell();
      },
    });
    deps = {
      registry: new StaticRepoRegistry([REPO, 'evil/repo']),
      gitHostFor: () => git,
      targets,
      clusters: { clientFor: () => Promise.reject(new Error('no cluster in this test')) },
      hosts: access,
      holder: 'test',
      logger: new MemoryLogger(),
    };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  let base: string;

  it('plans a pull request without running any command or writing anything', async () => {
    base = git.commit(REPO, 'main', {
      'plumbline.yaml': config(join(root, 'a')),
      'site/a.conf': 'one\n',
    });
    const head = git.commit(REPO, 'feature', {
      'plumbline.yaml': config(join(root, 'a')),
      'site/a.conf': 'two\n',
    });
    git.openPullRequest(REPO, {
      number: 1,
      state: 'open',
      merged: false,
      headSha: head,
      headRef: 'feature',
      headRepo: REPO,
      baseRef: 'main',
      baseSha: base,
    });
    const outcome = await planPullRequest(
      { kind: 'plan', repo: REPO, number: 1, deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'success' });
    expect(git.comments.get(`${REPO}#1`)?.[0]?.body).toContain('+two');
    expect(existsSync(marker())).toBe(false);
    expect(readdirSync(join(root, 'a'))).toEqual([]);
  });

  it('plans a pull request against the trusted destination, whatever its plumbline.yaml says', async () => {
    opens.length = 0;
    const head = git.commit(REPO, 'move', {
      'plumbline.yaml': config(join(root, 'b')),
      'site/a.conf': 'moved\n',
    });
    git.openPullRequest(REPO, {
      number: 2,
      state: 'open',
      merged: false,
      headSha: head,
      headRef: 'move',
      headRepo: REPO,
      baseRef: 'main',
      baseSha: base,
    });
    const outcome = await planPullRequest(
      { kind: 'plan', repo: REPO, number: 2, deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'planned', conclusion: 'success' });
    const body = git.comments.get(`${REPO}#2`)?.[0]?.body ?? '';
    expect(body).toContain(`site → box:${join(root, 'a')}`);
    expect(body).toContain('takes effect once merged');
    expect(readdirSync(join(root, 'b'))).toEqual([]);
    expect(existsSync(marker())).toBe(false);
  });

  it('refuses a repository the host binding does not list, before touching the host', async () => {
    opens.length = 0;
    git.commit('evil/repo', 'main', {
      'plumbline.yaml': config(join(root, 'a')),
      'site/a.conf': 'evil\n',
    });
    // A refused target is reported (on the commit and in the outcome), not thrown.
    const outcome = await deployApp(
      { kind: 'reconcile', repo: 'evil/repo', app: 'site', branch: 'main', deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'config' } });
    expect('failure' in outcome && outcome.failure?.message).toBe(
      "plumbline.yaml: app site: target 'box' does not serve repository evil/repo (runtime setting targets[box].repositories)",
    );
    expect(opens).toEqual([]);
    expect(readdirSync(join(root, 'a'))).toEqual([]);
  });

  it('writes a file named like shell syntax nowhere: the name is refused', async () => {
    git.commit(REPO, 'main', {
      'plumbline.yaml': config(join(root, 'a')),
      'site/$(touch pwned).conf': 'x',
    });
    const outcome = await deployApp(
      { kind: 'reconcile', repo: REPO, app: 'site', branch: 'main', deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'render' } });
    expect(outcome.status === 'failed' && outcome.failure?.message).toContain(
      'site/$(touch pwned).conf: this file name cannot be deployed to a host',
    );
    expect(existsSync(join(root, 'a', 'pwned'))).toBe(false);
    expect(existsSync(marker())).toBe(false);
  });
});
