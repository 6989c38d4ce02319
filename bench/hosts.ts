/**
 * `npm run bench:hosts`: what a `files` app costs per step against a real OpenSSH server on
 * loopback (a certificate minted per connection, 20 config files and one secret):
 *   - deploy of a change: connection + survey + deploy script;
 *   - push that changes nothing for this host (the host already has the digest): survey only;
 *   - sweep of an app in sync, and of a drifted one healed;
 *   - a pull request plan.
 * For each: SSH connections, network round trips (handshake included), commands (session
 * channels) and the median wall time over BENCH_RUNS runs (default 10). Loopback hides
 * latency, so the round trips are the figure to multiply by a real RTT.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeDial } from '../functions/node/ssh-socket.ts';
import { parseHostBindings } from '../lib/config/host-binding.ts';
import type { FilesAppConfig } from '../lib/config/repo-config.ts';
import { loadDesiredFiles } from '../lib/hosts/desired-files.ts';
import { applyFilesPlan, type FilesAppInput, planFilesApp } from '../lib/hosts/files-deploy.ts';
import { createHostAccess } from '../lib/hosts/host-access.ts';
import type { HostShell } from '../lib/hosts/host-shell.ts';
import { driftedFiles } from '../lib/hosts/render-files.ts';
import { MemorySecretStore } from '../lib/ports/secret-store.ts';
import { MemoryFileTree } from '../lib/source/file-tree.ts';
import { sshKeygen, startSshd } from '../test/env/sshd.ts';

const runs = Number(process.env.BENCH_RUNS ?? 10);

interface Figures {
  connections: number;
  roundTrips: number;
  commands: number;
  ms: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const keys = mkdtempSync(join(tmpdir(), 'plumbline-bench-hosts-'));
  const [caFile, caLine] = sshKeygen(keys, 'ca');
  const sshd = await startSshd({ caLines: [caLine] });
  const dest = join(keys, 'dest');
  try {
    const access = createHostAccess({
      bindings: parseHostBindings(
        [
          {
            kind: 'ssh',
            name: 'bench',
            host: sshd.host,
            port: sshd.port,
            hostKeys: [sshd.hostKey],
            user: sshd.user,
            credentials: { certificate: { caSecret: 'ca' } },
            repositories: ['bench/hosts'],
            paths: [keys],
          },
        ],
        'bench',
      ),
      secrets: new MemorySecretStore({ ca: readFileSync(caFile, 'utf8') }),
      dial: nodeDial(),
    });
    const app: FilesAppConfig = {
      kind: 'files',
      name: 'bench',
      path: 'app',
      target: 'bench',
      destination: dest,
      mode: 0o644,
      modes: [],
      validate: 'test -s {staged}/conf.d/site-0.conf',
      reload: 'true',
      branch: 'main',
      prune: true,
      selfHeal: true,
      adopt: false,
    };
    const decryptor = {
      // The secret file stands for a SOPS one: its content is only ever masked.
      decrypt: async (path: string, content: Uint8Array) =>
        path.endsWith('.env') ? { plaintext: content } : undefined,
    };
    const input = async (version: number): Promise<FilesAppInput> => {
      const files: Record<string, string> = { 'app/secrets.env': `TOKEN=${version}\n` };
      for (let i = 0; i < 20; i++) {
        files[`app/conf.d/site-${i}.conf`] =
          `server { listen ${8000 + i}; return 200 "v${version}"; }\n`;
      }
      const tree = new MemoryFileTree(files, `rev-${version}`);
      return {
        repo: 'bench/hosts',
        app,
        host: 'bench',
        revision: tree.revision,
        desired: await loadDesiredFiles(tree, app, decryptor),
      };
    };
    const open = () =>
      access.open('bench', { repo: 'bench/hosts', app: 'bench', destination: dest });
    const figures = new Map<string, Figures>();
    const measure = async (name: string, step: (shell: HostShell) => Promise<void>) => {
      const shell = await open();
      const started = performance.now();
      try {
        await step(shell);
      } finally {
        await shell.close();
      }
      const stats = shell.stats();
      const entry = figures.get(name) ?? { ...stats, ms: [] };
      entry.ms.push(performance.now() - started);
      figures.set(name, entry);
    };

    let version = 0;
    for (let run = 0; run < runs; run++) {
      version += 1;
      const next = await input(version);
      await measure('deploy a change', async (shell) => {
        const planned = await planFilesApp(shell, next);
        const result = await applyFilesPlan(shell, next, planned);
        if (!result.ok || !result.wrote) throw new Error('deploy did not write');
      });
      await measure('push, host already current', async (shell) => {
        const planned = await planFilesApp(shell, next);
        if (planned.state.inventory?.digest !== planned.plan.digest) throw new Error('not current');
      });
      await measure('sweep, in sync', async (shell) => {
        const planned = await planFilesApp(shell, next);
        if (driftedFiles(planned.plan).length > 0) throw new Error('unexpected drift');
      });
      writeFileSync(join(dest, 'conf.d/site-3.conf'), 'hand edit\n');
      await measure('sweep, drift healed', async (shell) => {
        const planned = await planFilesApp(shell, next);
        if (driftedFiles(planned.plan).length !== 1) throw new Error('drift not seen');
        await applyFilesPlan(shell, next, planned);
      });
      const proposed = await input(version + 1000);
      await measure('pull request plan', async (shell) => {
        const planned = await planFilesApp(shell, proposed);
        if (planned.plan.summary.update !== 21) throw new Error('plan did not see the change');
      });
    }
    console.log(`files app of 21 files (one secret) over SSH on loopback, ${runs} runs each`);
    console.log('step                         connections  round trips  commands  median ms');
    for (const [name, f] of figures) {
      console.log(
        `${name.padEnd(28)} ${String(f.connections).padStart(11)}  ${String(f.roundTrips).padStart(11)}  ${String(f.commands).padStart(8)}  ${median(f.ms).toFixed(1).padStart(9)}`,
      );
    }
  } finally {
    await sshd.stop();
    rmSync(keys, { recursive: true, force: true });
  }
}

await main();
