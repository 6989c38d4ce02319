/**
 * Scale: 1,000 apps of 20 objects on a control plane with workloads (controller manager,
 * scheduler, KWOK: the Deployments get pods on a fake node), served by the Node server in a
 * process of its own (`bench/scale/server.ts`: what `plumbline serve` runs, bundled as the
 * package is) with its default concurrency, and the GitHub test server:
 *   1. cold start: the first push of a repository of 1,000 apps, applied from scratch;
 *   2. a no-drift sweep of all of them (what the sweep timer enqueues);
 *   3. a push touching one app.
 * Each phase reports wall time, GitHub and cluster requests, the server's CPU and peak memory,
 * and the CPU the API server and etcd spent meanwhile (they share the same cores). The anchor is
 * Flux's published benchmark (fluxcd/flux-benchmark: 1,000 Kustomizations in about 4 min 15 s
 * on a 16-core runner, kustomize-controller at most 175 MiB); it is not run here.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminClient } from '../../test/env/admin.ts';
import { startControlPlane } from '../../test/env/control-plane.ts';
import { testTargetSetting } from '../../test/env/target-config.ts';
import { TestGitRepo } from '../../test/github-server/git-repo.ts';
import { startGitHubServer } from '../../test/github-server/server.ts';
import { pushDelivery } from '../../test/github-server/webhook-delivery.ts';
import { procCpuMs, procStatusKb } from '../measure/child-process.ts';
import { loadNow } from '../measure/machine.ts';
import { bundleNodeEntry } from '../measure/node-bundle.ts';
import { mib } from '../measure/stats.ts';
import type { Row } from '../measure/table.ts';
import { appManifests, appName, NAMESPACES } from '../scale/app-manifests.ts';
import type { ServerReply } from '../scale/server.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const SECRET = 'bench-secret';
const TOKEN = 'bench-token';
const ZERO = '0'.repeat(40);
const server = fileURLToPath(new URL('../scale/server.ts', import.meta.url));
const sandboxWorker = fileURLToPath(
  new URL('../../functions/node/render-sandbox-worker.ts', import.meta.url),
);

/** Flux's published anchor (fluxcd/flux-benchmark RESULTS.md, 1,000 Kustomizations). */
const FLUX = { seconds: 4 * 60 + 15, memoryMiB: 175, cores: 16 };

/** CPU ms of every process whose command line names `dir` (the control plane's components). */
function componentsCpu(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(dir)) continue;
    const name = (cmdline.split('\0')[0] ?? '').split('/').at(-1) ?? 'unknown';
    out[name] = (out[name] ?? 0) + (procCpuMs(Number(entry)) ?? 0);
  }
  return out;
}

/** Sends a command to the server and waits for its answer. */
function ask(
  child: ChildProcess,
  cmd: string,
  extra: { name?: string } = {},
): Promise<ServerReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ServerReply) => {
      if (message.cmd !== cmd) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the server exited (${code}) during ${cmd}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ cmd, ...extra });
  });
}

/** `12x GET /path, 3x POST /other`, most frequent first. */
function byCount(routes: Iterable<readonly [string, number]>): string {
  return [...routes]
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${n}x ${route}`)
    .join(', ');
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function scaleSuite(context: SuiteContext): Promise<Row[]> {
  const apps = Number(process.env.BENCH_SCALE_APPS ?? (context.quick ? 50 : 1000));
  // BENCH_SCALE_PROFILE=dir: a CPU profile of the server per phase, `dir/cold-start.cpuprofile`...
  const profileDir = process.env.BENCH_SCALE_PROFILE && resolve(process.env.BENCH_SCALE_PROFILE);
  const profileName = (phase: string) => phase.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const dir = join(context.tmp, 'scale');
  mkdirSync(dir, { recursive: true });
  context.log(
    `scale: ${apps} apps x 20 objects; starting a control plane with KWOK (load ${loadNow().toFixed(1)})`,
  );
  const plane = await startControlPlane({ workloads: true });
  const git = TestGitRepo.create();
  const github = await startGitHubServer({ repos: { 'bench/scale': git }, token: TOKEN });
  const bundle = await bundleNodeEntry(server, dir, 'scale-server');
  // The server renders each app in a worker thread, which it finds beside its bundle.
  await bundleNodeEntry(sandboxWorker, dir, 'render-sandbox-worker');
  const logFile = join(dir, 'server.log');
  writeFileSync(logFile, '');
  const child = fork(bundle, [], {
    // --expose-gc lets the server collect fully before it says what it holds after each
    // phase; BENCH_SERVER_FLAGS adds Node flags to try (e.g. --max-semi-space-size=16).
    execArgv: [
      '--expose-gc',
      ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: {
      ...process.env,
      BENCH_LOG: logFile,
      ...(profileDir ? { BENCH_SCALE_PROFILE: profileDir } : {}),
      PLUMBLINE_WEBHOOK_SECRETS: SECRET,
      PLUMBLINE_REPOSITORIES: 'bench/scale',
      PLUMBLINE_TARGETS: JSON.stringify([
        testTargetSetting(plane.cluster, 'bench', 'bench-cluster'),
      ]),
      PLUMBLINE_SECRET_BENCH_CLUSTER: plane.cluster.admin.token,
      PLUMBLINE_GITHUB_API_URL: github.url,
      GITHUB_TOKEN: TOKEN,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const rows: Row[] = [];
  try {
    const ready = await new Promise<ServerReply>((resolve, reject) => {
      child.once('message', (m: ServerReply) => resolve(m));
      child.once('exit', (code) =>
        reject(new Error(`the server exited (${code}) before it was ready`)),
      );
    });
    const url = ready.url as string;
    const pid = child.pid as number;
    const admin = adminClient(plane.cluster);
    for (let n = 0; n < NAMESPACES; n++) {
      const created = await admin('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `scale-${n}` },
      });
      if (created.status !== 201) throw new Error(`namespace scale-${n}: ${created.status}`);
    }
    const config = [
      'apps:',
      ...Array.from({ length: apps }, (_, i) => [
        `  - name: ${appName(i)}`,
        `    path: apps/${appName(i)}`,
        '    target: bench',
        `    namespace: scale-${i % NAMESPACES}`,
      ]).flat(),
      '',
    ].join('\n');
    const files: Record<string, string> = { 'plumbline.yaml': config };
    for (let i = 0; i < apps; i++) files[`apps/${appName(i)}/objects.yaml`] = appManifests(i, 0);
    let head = git.commit(files, `${apps} apps`);
    const deliver = async (before: string, after: string) => {
      const delivery = await pushDelivery({
        secret: SECRET,
        repo: 'bench/scale',
        branch: 'main',
        before,
        after,
        // The file lists GitHub puts in the payload: they narrow the fan-out.
        ...(before === ZERO ? {} : { commits: git.pushedCommits(before, after) }),
      });
      const response = await fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      if (response.status !== 202)
        throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    };

    /** Runs one phase and reports what it cost. */
    const phase = async (name: string, run: () => Promise<ServerReply>) => {
      context.log(`scale: ${name} (load ${loadNow().toFixed(1)})`);
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      const cpuBefore = procCpuMs(pid) ?? 0;
      const planeBefore = componentsCpu(plane.cluster.dir);
      const githubBefore = github.requests.length;
      const countsBefore = await ask(child, 'counts');
      const clusterBefore = total(countsBefore.clusterRequests);
      const loadBefore = loadNow();
      const logBefore = readFileSync(logFile).byteLength;
      if (profileDir) await ask(child, 'profile-start');
      const started = performance.now();
      const reply = await run();
      const wallMs = performance.now() - started;
      if (profileDir) await ask(child, 'profile-stop', { name: profileName(name) });
      const planeAfter = componentsCpu(plane.cluster.dir);
      const planeCpu = Object.fromEntries(
        Object.entries(planeAfter).map(([k, v]) => [k, v - (planeBefore[k] ?? 0)]),
      );
      const githubRoutes = new Map<string, number>();
      for (const r of github.requests.slice(githubBefore)) {
        const route = `${r.method} ${r.path
          .split('?')[0]
          ?.replace(/[0-9a-f]{40}/g, '{sha}')
          .replace(/\/\d+(\/|$)/g, '/{n}$1')}`;
        githubRoutes.set(route, (githubRoutes.get(route) ?? 0) + 1);
      }
      const clusterRoutes = Object.entries(reply.clusterRoutes)
        .map(([route, n]) => [route, n - (countsBefore.clusterRoutes[route] ?? 0)] as const)
        .filter(([, n]) => n > 0);
      // Discovery: the API's group list and each group version's resources.
      const discovery = clusterRoutes
        .filter(([route]) => /^GET \/(api|api\/v1|apis|apis\/[^/]+\/[^/]+)$/.test(route))
        .reduce((sum, [, n]) => sum + n, 0);
      // What the server logged at warn or error level in this phase, for the note.
      const problems = new Map<string, number>();
      for (const line of readFileSync(logFile).subarray(logBefore).toString('utf8').split('\n')) {
        if (!/"level":"(warn|error)"/.test(line)) continue;
        const entry = JSON.parse(line) as { level: string; message?: string; error?: string };
        const text =
          `${entry.level}: ${entry.message ?? ''}${entry.error ? ` (${entry.error})` : ''}`.slice(
            0,
            240,
          );
        problems.set(text, (problems.get(text) ?? 0) + 1);
      }
      const cpuMs = (procCpuMs(pid) ?? 0) - cpuBefore;
      const peakMiB = mib(procStatusKb(pid, 'VmHWM') ?? 0);
      // Asked once the phase is measured: the full collection it runs is not the phase's work.
      const { memory } = await ask(child, 'memory');
      if (!memory) throw new Error('the server answered memory without its figures');
      return {
        memory,
        problems:
          problems.size === 0 ? 'nothing logged at warn or error' : `logged: ${byCount(problems)}`,
        discovery,
        githubRoutes: byCount([...githubRoutes]),
        clusterRoutes: byCount(clusterRoutes),
        wallMs,
        cpuMs,
        peakMiB,
        github: github.requests.length - githubBefore,
        cluster: total(reply.clusterRequests) - clusterBefore,
        planeCpu,
        load: [loadBefore, loadNow()],
        reply,
      };
    };
    /** What the server holds at the phase's end, for the peak RSS rows. */
    const held = ({ memory }: Awaited<ReturnType<typeof phase>>) =>
      `peak of this phase (VmHWM reset at its start); held at its end, after a full collection: V8 heap ${memory.heapMiB} MiB used of ${memory.heapTotalMiB} MiB committed, external (buffers) ${memory.externalMiB} MiB, RSS ${memory.rssMiB} MiB`;
    /** The server's CPU, also per unit of work (`per object`, `per app`) when given. */
    const describe = (p: Awaited<ReturnType<typeof phase>>, per?: [number, string]) =>
      `server CPU ${(p.cpuMs / 1000).toFixed(1)} s${
        per ? ` (${(p.cpuMs / per[0]).toFixed(1)} ms ${per[1]})` : ''
      }; meanwhile ${Object.entries(p.planeCpu)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`)
        .join(', ')}; load ${p.load.map((l) => l.toFixed(1)).join(' -> ')}; ${p.problems}`;

    const cold = await phase('cold start', async () => {
      await deliver(ZERO, head);
      return ask(child, 'idle');
    });
    const parents = await admin('GET', '/api/v1/secrets?labelSelector=applyset.kubernetes.io%2Fid');
    const applied = ((parents.body.items as unknown[]) ?? []).length;
    const configMaps = await admin('GET', '/api/v1/configmaps?labelSelector=app');
    const cms = ((configMaps.body.items as unknown[]) ?? []).length;
    if (applied !== apps || cms !== apps * 15) {
      throw new Error(
        `cold start applied ${applied} ApplySets and ${cms} ConfigMaps, expected ${apps} and ${apps * 15}; the server ${cold.problems}`,
      );
    }
    const coldCase = `cold start: ${apps} apps x 20 objects from scratch`;
    rows.push(
      {
        suite: 'scale',
        case: coldCase,
        metric: 'wall',
        unit: 'ms',
        plumbline: cold.wallMs,
        reference: { tool: `Flux, published (${FLUX.cores} cores)`, value: FLUX.seconds * 1000 },
        target: { text: '< Flux on 16 cores', met: cold.wallMs < FLUX.seconds * 1000 },
        note: `on this machine's 2 cores, shared with the API server, etcd, the controller manager, KWOK and other work; ${describe(cold, [apps * 20, 'per object'])}. Flux's figure is from fluxcd/flux-benchmark (4 objects per app), not measured here`,
      },
      {
        suite: 'scale',
        case: coldCase,
        metric: 'GitHub requests',
        unit: 'requests',
        plumbline: cold.github,
        note: `by route: ${cold.githubRoutes}`,
      },
      {
        suite: 'scale',
        case: coldCase,
        metric: 'cluster requests',
        unit: 'requests',
        plumbline: cold.cluster,
        note: `by route: ${cold.clusterRoutes}`,
      },
      {
        suite: 'scale',
        case: coldCase,
        metric: 'server peak RSS',
        unit: 'MiB',
        plumbline: cold.peakMiB,
        reference: { tool: 'Flux kustomize-controller, published', value: FLUX.memoryMiB },
        note: held(cold),
      },
    );

    const sweep = await phase('no-drift sweep', () => ask(child, 'sweep'));
    const log = readFileSync(logFile, 'utf8');
    const inSync = log.split('\n').filter((l) => l.includes('"sweep: in sync"')).length;
    const sweepCase = `no-drift sweep of ${apps} apps`;
    rows.push(
      {
        suite: 'scale',
        case: sweepCase,
        metric: 'wall',
        unit: 'ms',
        plumbline: sweep.wallMs,
        note: `${inSync} apps reported in sync; ${describe(sweep, [apps, 'per app'])}`,
      },
      {
        suite: 'scale',
        case: sweepCase,
        metric: 'GitHub requests',
        unit: 'requests',
        plumbline: sweep.github,
        note: `by route: ${sweep.githubRoutes}`,
      },
      {
        suite: 'scale',
        case: sweepCase,
        metric: 'cluster requests',
        unit: 'requests',
        plumbline: sweep.cluster,
        note: `${sweep.discovery} of them discovery; by route: ${sweep.clusterRoutes}`,
        target: {
          text: '<= K+1 = 7 per app (6 kinds) + discovery',
          met: sweep.cluster - sweep.discovery <= apps * 7,
        },
      },
      {
        suite: 'scale',
        case: sweepCase,
        metric: 'server peak RSS',
        unit: 'MiB',
        plumbline: sweep.peakMiB,
        note: held(sweep),
      },
    );

    const touched = Math.floor(apps / 2);
    const before = head;
    head = git.commit(
      { [`apps/${appName(touched)}/objects.yaml`]: appManifests(touched, 1) },
      'one app',
    );
    const one = await phase('push touching one app', async () => {
      await deliver(before, head);
      return ask(child, 'idle');
    });
    const oneCase = `push touching 1 app of ${apps}`;
    rows.push(
      {
        suite: 'scale',
        case: oneCase,
        metric: 'wall',
        unit: 'ms',
        plumbline: one.wallMs,
        note: describe(one),
      },
      {
        suite: 'scale',
        case: oneCase,
        metric: 'GitHub requests',
        unit: 'requests',
        plumbline: one.github,
        note: `by route: ${one.githubRoutes}`,
        target: { text: '<= ~10', met: one.github <= 12 },
      },
      {
        suite: 'scale',
        case: oneCase,
        metric: 'cluster requests',
        unit: 'requests',
        plumbline: one.cluster,
        note: `by route: ${one.clusterRoutes}`,
      },
      {
        suite: 'scale',
        case: oneCase,
        metric: 'server peak RSS',
        unit: 'MiB',
        plumbline: one.peakMiB,
        note: held(one),
      },
    );
    await ask(child, 'stop');
  } finally {
    child.kill('SIGTERM');
    await github.close();
    git.remove();
    await plane.stop();
  }
  return rows;
}

/** The scale suite (only when named: `npm run bench:scale`). */
export const scale: Suite = {
  name: 'scale',
  summary: '1,000 apps x 20 objects on a cluster with KWOK: cold start, no-drift sweep, one push',
  run: scaleSuite,
};
