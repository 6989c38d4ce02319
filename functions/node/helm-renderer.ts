/**
 * The `HelmRenderer` of the Node runtime, the CLI and the GitHub Action: a pinned `helm`
 * binary run as `helm template` in a sandbox. Each run gets its own empty temporary HELM_*
 * homes and nothing of Plumbline's environment (no credentials, no user helm config, no
 * kubeconfig), a proxy that leads nowhere (helm needs no network: charts are fetched by
 * Plumbline), a time limit, an address-space limit and a bounded output. Values reach helm
 * through named pipes in a private temporary directory (`-f <dir>/values-N`): their bytes pass
 * through the kernel's pipe buffer only, so decrypted values never touch the disk.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HelmRenderer,
  HelmRunError,
  type HelmTemplateRequest,
} from '../../lib/render/helm-renderer.ts';
import { chartCachePath } from './chart-cache.ts';

/** The oldest helm whose `template` Plumbline relies on (`--skip-tests`, schema checks). */
export const minimumHelmVersion = '3.14.0';

/** Bounds and locations of the Node helm renderer. */
export interface NodeHelmOptions {
  /** The helm binary: a path, or a name looked up on PATH (default `helm`). */
  helm?: string;
  /** Wall-clock limit of one run (default 60 s). */
  timeoutMs?: number;
  /** Address-space limit of the helm process (default 3 GiB: Go alone reserves about 1 GiB). */
  memoryBytes?: number;
  /** Most bytes of rendered output read (default 64 MiB). */
  maxOutputBytes?: number;
  /** Where chart archives are cached by digest; absent: a temporary copy per run. */
  cacheDir?: string;
  /** PATH used to find `helm` by name (default the process's). */
  path?: string;
  /** The oldest helm accepted (default `minimumHelmVersion`). */
  minimumVersion?: string;
}

const defaults = {
  timeoutMs: 60_000,
  memoryBytes: 3 * 1024 * 1024 * 1024,
  maxOutputBytes: 64 * 1024 * 1024,
};
const maxErrorBytes = 64 * 1024;

/** A `HelmRenderer` running a local helm binary under the bounds above. */
export function nodeHelmRenderer(options: NodeHelmOptions = {}): HelmRenderer {
  const bounds = { ...defaults, ...options };
  let checked: Promise<string> | undefined;
  return {
    async template(request) {
      checked ??= checkHelm(
        options.helm ?? 'helm',
        options.path ?? process.env.PATH ?? '',
        options.minimumVersion ?? minimumHelmVersion,
        bounds,
      );
      const helm = await checked.catch((error: unknown) => {
        checked = undefined; // installing helm fixes the next render without a restart
        throw error;
      });
      return runTemplate(helm, request, bounds, options.cacheDir);
    },
  };
}

/** The absolute path of `name` (a path is taken as it is). */
function findBinary(name: string, path: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Finds helm and checks its version once; resolves to its absolute path. */
async function checkHelm(
  name: string,
  path: string,
  minimum: string,
  bounds: typeof defaults,
): Promise<string> {
  const helm = findBinary(name, path);
  if (!helm) {
    throw new HelmRunError(
      'missing-binary',
      `no helm binary '${name}' found${name.includes('/') ? '' : ' on PATH'}; Helm charts render with helm ${minimum} or later`,
    );
  }
  const home = await mkdtemp(join(tmpdir(), 'plumbline-helm-'));
  try {
    const run = await runSandboxed(
      helm,
      ['version', '--template', '{{.Version}}'],
      [],
      home,
      bounds,
    );
    const version = run.stdout.trim();
    const failure = run.code === 0 ? undefined : failureOf(run);
    if (failure && failure.reason !== 'template') throw failure;
    if (run.code !== 0 || !/^v?\d+\.\d+\.\d+/.test(version)) {
      throw new HelmRunError(
        'missing-binary',
        `${helm} does not answer 'helm version' like helm does`,
      );
    }
    if (compareVersions(version.replace(/^v/, ''), minimum) < 0) {
      throw new HelmRunError(
        'too-old',
        `${helm} is helm ${version}; Plumbline needs helm ${minimum} or later`,
      );
    }
    return helm;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

async function runTemplate(
  helm: string,
  request: HelmTemplateRequest,
  bounds: typeof defaults,
  cacheDir: string | undefined,
): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'plumbline-helm-'));
  try {
    const chart = await placeChart(request, home, cacheDir);
    const args = ['template', request.releaseName, chart];
    if (request.namespace) args.push('--namespace', request.namespace);
    const fifos = makeFifos(join(home, 'values'), request.values.length);
    for (const fifo of fifos) args.push('-f', fifo);
    for (const v of request.apiVersions) args.push('--api-versions', v);
    if (request.kubeVersion) args.push('--kube-version', request.kubeVersion);
    if (request.includeCRDs) args.push('--include-crds');
    if (request.skipTests) args.push('--skip-tests');
    if (request.skipHooks) args.push('--no-hooks');
    const inputs = request.values.map((bytes, i) => ({ path: fifos[i] as string, bytes }));
    const run = await runSandboxed(helm, args, inputs, home, bounds);
    if (run.code === 0) return run.stdout;
    throw failureOf(run);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Named pipes `dir/values-0`, …, readable by this user only. */
function makeFifos(dir: string, count: number): string[] {
  if (count === 0) return [];
  const paths = Array.from({ length: count }, (_, i) => join(dir, `values-${i}.yaml`));
  spawnSync('mkdir', ['-m', '700', dir]);
  const made = spawnSync('mkfifo', ['-m', '600', ...paths], { encoding: 'utf8' });
  if (made.status !== 0) {
    throw new HelmRunError(
      'missing-binary',
      `named pipes for helm values could not be made (mkfifo: ${made.stderr || made.error?.message})`,
    );
  }
  return paths;
}

/**
 * Writes `bytes` into a named pipe once helm opens it for reading (a non-blocking open fails
 * until then, so no thread waits on it), and gives up when helm has exited without reading.
 * The descriptor has one owner, a FileHandle closed once here: handed to a `net.Socket`, it was
 * closed twice when the render's worker thread was stopped, and the second close could hit a
 * descriptor another thread had opened since (libuv aborted the process on its own io_uring).
 */
async function feedFifo(path: string, bytes: Uint8Array, exited: () => boolean): Promise<void> {
  let handle: FileHandle | undefined;
  while (handle === undefined) {
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || exited()) return;
      await sleep(2);
    }
  }
  try {
    let offset = 0;
    while (offset < bytes.byteLength) {
      try {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
        offset += bytesWritten;
      } catch (error) {
        // The pipe is full until helm reads on; any other failure (EPIPE: helm stopped
        // reading) ends the feeding, and helm's exit status tells why.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || exited()) return;
        await sleep(2);
      }
    }
  } finally {
    await handle.close();
  }
}

/** Where helm reads the chart: the directory written out, or the cached archive. */
async function placeChart(
  request: HelmTemplateRequest,
  home: string,
  cacheDir: string | undefined,
): Promise<string> {
  const { chart } = request;
  if (chart.kind === 'archive') {
    const path = cacheDir ? chartCachePath(cacheDir, chart.digest) : join(home, 'chart.tgz');
    if (!existsSync(path)) {
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
      await writeFile(partial, chart.bytes);
      await rename(partial, path);
    }
    return path;
  }
  const root = join(home, 'chart');
  for (const [rel, bytes] of chart.files) {
    const target = join(root, rel);
    if (!target.startsWith(`${root}/`)) continue; // paths come normalized from the tree
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  return root;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  outputTooLarge: boolean;
}

function failureOf(run: Run): HelmRunError {
  const stderr = run.stderr.replace(/^Error: /m, '').trim();
  if (run.timedOut) return new HelmRunError('timeout', 'helm did not finish within its time limit');
  if (run.outputTooLarge)
    return new HelmRunError('output-too-large', 'helm rendered more output than allowed');
  // Under the address-space limit the Go runtime dies reserving memory, with a message or a
  // segmentation fault; the kernel's OOM killer sends SIGKILL.
  if (
    run.signal === 'SIGKILL' ||
    run.signal === 'SIGSEGV' ||
    /out of memory|cannot allocate memory|failed to reserve|mmap failed|cannot reserve/i.test(
      stderr,
    )
  ) {
    return new HelmRunError('memory', 'helm ran out of its memory limit');
  }
  return new HelmRunError('template', stderr || `helm exited with status ${run.code}`);
}

/**
 * Runs helm with an empty environment of its own: temporary homes, no kubeconfig, a proxy that
 * refuses every connection, `ulimit -v` and a kill timer. `inputs` are fed into their pipes.
 */
function runSandboxed(
  helm: string,
  args: string[],
  inputs: { path: string; bytes: Uint8Array }[],
  home: string,
  bounds: typeof defaults,
): Promise<Run> {
  const dirs = ['home', 'config', 'cache', 'data', 'plugins', 'tmp'].map((d) => join(home, d));
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: join(home, 'home'),
    TMPDIR: join(home, 'tmp'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    HELM_PLUGINS: join(home, 'plugins'),
    HELM_REGISTRY_CONFIG: join(home, 'config', 'registry.json'),
    HELM_REPOSITORY_CONFIG: join(home, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(home, 'cache', 'repository'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
    // helm template needs no network; anything that tries meets a closed port.
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    NO_PROXY: '',
    no_proxy: '',
    GOMEMLIMIT: String(Math.floor(bounds.memoryBytes * 0.75)),
    LANG: 'C',
  };
  return (async () => {
    await Promise.all(dirs.map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
    const limitKb = Math.floor(bounds.memoryBytes / 1024);
    // The shell sets the address-space limit, then becomes helm (same process, same pid).
    const script =
      process.platform === 'linux' ? 'ulimit -v "$0" || exit 97; exec "$@"' : 'exec "$@"';
    const child = spawn('/bin/sh', ['-c', script, String(limitKb), helm, ...args], {
      env,
      cwd: join(home, 'tmp'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return collect(child, inputs, bounds);
  })();
}

function collect(
  child: ChildProcess,
  inputs: { path: string; bytes: Uint8Array }[],
  bounds: typeof defaults,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let outputTooLarge = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, bounds.timeoutMs);
    (child.stdout as Readable).on('data', (chunk: Buffer) => {
      outBytes += chunk.byteLength;
      if (outBytes > bounds.maxOutputBytes) {
        outputTooLarge = true;
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
    });
    (child.stderr as Readable).on('data', (chunk: Buffer) => {
      if (errBytes < maxErrorBytes) err.push(chunk);
      errBytes += chunk.byteLength;
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const feeding = Promise.all(
      inputs.map((input) => feedFifo(input.path, input.bytes, () => exited)),
    );
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new HelmRunError('missing-binary', `helm could not be started (${error.message})`));
    });
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      await feeding;
      if (code === 97) {
        reject(
          new HelmRunError('memory', 'the memory limit for helm could not be set (ulimit -v)'),
        );
        return;
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8').slice(0, maxErrorBytes),
        timedOut,
        outputTooLarge,
      });
    });
  });
}
