/**
 * Plumbline's SSH client inside workerd, over Workers' `connect()`, against a real OpenSSH
 * server: the evidence behind the Workers decision in docs/hosts.md (the client runs there;
 * the Worker's flows still refuse host targets until they are wired and tested end to end).
 */
import { describe, expect, inject, it } from 'vitest';
import { workersDial } from '../../functions/cloudflare/ssh-socket.ts';
import { parseHostBindings } from '../../lib/config/host-binding.ts';
import { deployApp } from '../../lib/flows/deploy-app.ts';
import type { FlowDeps } from '../../lib/flows/flow-deps.ts';
import { loadDesiredFiles } from '../../lib/hosts/desired-files.ts';
import { applyFilesPlan, planFilesApp } from '../../lib/hosts/files-deploy.ts';
import { createHostAccess } from '../../lib/hosts/host-access.ts';
import { signUserCertificate } from '../../lib/hosts/ssh/certificate.ts';
import { SshConnection } from '../../lib/hosts/ssh/client.ts';
import {
  generateEd25519Signer,
  parsePublicKey,
  signerFromPrivateKey,
} from '../../lib/hosts/ssh/keys.ts';
import { MemoryLogger } from '../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../../lib/ports/secret-store.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';
import { MemoryGitHost } from '../doubles/memory-git-host.ts';

describe('the SSH client on Workers', () => {
  it('logs in with a minted certificate over connect() and runs a command', async () => {
    const ssh = inject('workersSsh');
    const ca = await signerFromPrivateKey(ssh.caPrivateKey);
    const user = await generateEd25519Signer();
    const now = Math.floor(Date.now() / 1000);
    const certificate = await signUserCertificate(user.publicKey, ca, {
      keyId: 'plumbline workers test',
      principals: [ssh.user],
      validAfter: now - 60,
      validBefore: now + 120,
    });
    const connection = await SshConnection.connect({
      socket: await workersDial(ssh.host, ssh.port),
      hostKeys: [parsePublicKey(ssh.hostKey)],
      username: ssh.user,
      identity: { signer: user, certificate },
    });
    try {
      const result = await connection.exec(
        'cat; echo " from workerd"',
        new TextEncoder().encode('hello'),
      );
      expect(result.code).toBe(0);
      expect(new TextDecoder().decode(result.stdout)).toBe('hello from workerd\n');
    } finally {
      await connection.close();
    }
  });

  it('runs the whole files pipeline in workerd: survey, plan, stage, swap, inventory', async () => {
    const ssh = inject('workersSsh');
    const access = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'box',
            host: ssh.host,
            port: ssh.port,
            hostKeys: [ssh.hostKey],
            user: ssh.user,
            credentials: { certificate: { caSecret: 'ca' } },
            repositories: ['acme/web'],
            paths: [ssh.destination],
          },
        ],
        'test',
      ),
      secrets: new MemorySecretStore({ ca: ssh.caPrivateKey }),
      dial: workersDial,
      runtime: 'Cloudflare Workers',
    });
    const app = {
      kind: 'files' as const,
      name: 'site',
      path: 'site',
      target: 'box',
      destination: ssh.destination,
      mode: 0o644,
      modes: [],
      validate: 'test -s {staged}/site.conf',
      branch: 'main',
      prune: true,
      selfHeal: false,
      adopt: false,
    };
    const tree = new MemoryFileTree({ 'site/site.conf': 'listen 80;\n' }, 'f'.repeat(40));
    const input = {
      repo: 'acme/web',
      app,
      host: 'box',
      revision: tree.revision,
      desired: await loadDesiredFiles(tree, app, { decrypt: async () => undefined }),
    };
    const shell = await access.open('box', {
      repo: 'acme/web',
      app: 'site',
      destination: ssh.destination,
    });
    try {
      const planned = await planFilesApp(shell, input);
      expect(planned.plan.summary).toMatchObject({ create: 1, errors: 0 });
      const changes = await applyFilesPlan(shell, input, planned);
      expect(changes).toMatchObject({ ok: true, wrote: true });
      const check = await shell.run(`cat ${ssh.destination}/site.conf`);
      expect(new TextDecoder().decode(check.stdout)).toBe('listen 80;\n');
      expect(shell.stats()).toMatchObject({ connections: 1, commands: 3 });
    } finally {
      await shell.close();
    }
  });

  it('deploys a files app through the push flow in workerd (deployApp with host access over connect())', async () => {
    const ssh = inject('workersSsh');
    const git = new MemoryGitHost();
    const destination = `${ssh.destination}-flow`;
    git.commit('acme/web', 'main', {
      'plumbline.yaml': `apps:\n  - name: site\n    kind: files\n    path: site\n    target: box\n    destination: ${destination}\n`,
      'site/index.conf': 'from the Worker\n',
    });
    const targets = parseHostBindings(
      [
        {
          kind: 'ssh',
          name: 'box',
          host: ssh.host,
          port: ssh.port,
          hostKeys: [ssh.hostKey],
          user: ssh.user,
          credentials: { certificate: { caSecret: 'ca' } },
          repositories: ['acme/web'],
          paths: [destination],
        },
      ],
      'test',
    );
    const deps: FlowDeps = {
      registry: new StaticRepoRegistry(['acme/web']),
      gitHostFor: () => git,
      targets,
      clusters: { clientFor: () => Promise.reject(new Error('no cluster')) },
      hosts: createHostAccess({
        bindings: targets,
        secrets: new MemorySecretStore({ ca: ssh.caPrivateKey }),
        dial: workersDial,
        runtime: 'Cloudflare Workers',
      }),
      holder: 'workers-test',
      logger: new MemoryLogger(),
    };
    const outcome = await deployApp(
      { kind: 'reconcile', repo: 'acme/web', app: 'site', branch: 'main', deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'applied', files: { ok: true, wrote: true } });
    expect(git.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
    ]);
    // The files are on the host: a survey over a second connection finds nothing to change.
    const again = await deployApp(
      { kind: 'reconcile', repo: 'acme/web', app: 'site', branch: 'main', deliveryId: 'd2' },
      deps,
    );
    expect(again).toMatchObject({ status: 'skipped', reason: 'the host already has these files' });
  });
});
