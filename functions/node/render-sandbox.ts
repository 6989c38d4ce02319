/**
 * The render sandbox of the Node runtime: each render runs in a worker thread of its own,
 * which holds no credential, token, key or environment variable, under memory limits and a
 * time limit. Pull request heads and branches are hostile input; if a manifest ever found a
 * way to change objects it should not (as prototype pollution once did), it would change them
 * in a thread that ends with the render, never in the process that holds cluster tokens and
 * reads its TLS options from objects.
 *
 * The worker reads files and asks for decryptions over its message port: SOPS keys stay in
 * this process, only ciphertext goes to it and plaintext comes back into the sandbox, where
 * the render needs it. The result comes back as plain data, every mapping again a data map.
 */
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { FileDecryptor } from '../../lib/core/decryptor.ts';
import type { KubeObject } from '../../lib/core/object.ts';
import { RenderError } from '../../lib/errors.ts';
import { cloneData } from '../../lib/render/data-map.ts';
import type { RenderOptions, RenderPort, RenderResult } from '../../lib/render/index.ts';
import type { FileTree } from '../../lib/source/file-tree.ts';
import {
  deserializeError,
  type SandboxAnswer,
  type SandboxJob,
  type SandboxOutcome,
  type SandboxRequest,
  type SandboxValue,
  serializeError,
} from './render-sandbox-protocol.ts';

/** How the sandbox bounds each render. */
export interface RenderSandboxOptions {
  /** V8 heap limits of the worker (default: 1 GiB old generation, 16 MiB young). */
  resourceLimits?: ResourceLimits;
  /** Wall-clock limit of one render, in milliseconds (default: 2 minutes). */
  timeoutMs?: number;
  /** The worker's entry module (default: `render-sandbox-worker` beside this file). */
  workerUrl?: URL;
  /**
   * The environment helm support is built from inside the worker (`helmSupportFromEnv`), for
   * renders asked to inflate charts (default: the helm settings of this process's environment).
   */
  helmEnv?: Record<string, string>;
  /** Where the user's compile cache directory for the sandbox lives (default: the OS temp dir). */
  cacheParent?: string;
}

/** The environment variables helm support reads: helm's binary, bounds and chart cache. */
const helmVariables = [
  'PATH',
  'PLUMBLINE_HELM',
  'PLUMBLINE_HELM_TIMEOUT_SECONDS',
  'PLUMBLINE_HELM_MEMORY_MB',
  'PLUMBLINE_HELM_PLAIN_HTTP_HOSTS',
  'PLUMBLINE_CHART_CACHE_DIR',
  'PLUMBLINE_CACHE_DIR',
  'XDG_CACHE_HOME',
];

/**
 * The part of `env` helm support is built from, and nothing else: the worker gets no token,
 * key or other variable of this process.
 */
export function sandboxHelmEnv(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of helmVariables) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/**
 * Default heap limits: ample for the render limits' 64 MB of input at about 10 bytes per byte.
 * The young generation is kept small: a render allocates many short-lived values, and with a
 * 64 MB young generation they made most of the peak (15.6 times the input on an 8 MB app, 8.5
 * times with 16 MB; `npm run bench:render-memory`).
 */
export const defaultSandboxLimits: ResourceLimits = {
  maxOldGenerationSizeMb: 1024,
  maxYoungGenerationSizeMb: 16,
  stackSizeMb: 4,
};

/**
 * The worker entry: the TypeScript source beside this module, or in a bundle (scripts/build.ts)
 * `render-sandbox-worker.js` beside the chunk holding this code or one directory up (chunks
 * live in `chunks/` under the entry).
 */
export function renderSandboxWorkerUrl(): URL {
  const source = new URL('./render-sandbox-worker.ts', import.meta.url);
  if (source.protocol !== 'file:' || existsSync(fileURLToPath(source))) return source;
  const beside = new URL('./render-sandbox-worker.js', import.meta.url);
  const above = new URL('../render-sandbox-worker.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) || !existsSync(fileURLToPath(above)) ? beside : above;
}

/** A render port that renders each app in a fresh worker thread; `close` stops the standby. */
export type RenderSandbox = RenderPort & { close(): Promise<void> };

interface SandboxSettings {
  resourceLimits: ResourceLimits;
  timeoutMs: number;
  workerUrl: URL;
  helmEnv: Record<string, string>;
  /** The user's V8 code cache for the render code (looked up with the first worker). */
  compileCache: { parent: string; dir?: string | undefined };
}

/**
 * What each worker runs first: it turns on Node's compile cache in the user's cache directory
 * for the sandbox, then loads the worker entry. Every worker compiles the same render code;
 * with the cache, all but the first take V8's code from it instead of compiling 1.4 MB of
 * source again (about a third of a worker's start-up, and a fresh worker renders each app).
 * Node checks each entry against its source's checksum and the entry's own; see
 * `compileCacheDir` for who may write there.
 */
const workerBootstrap = `
const { workerData } = require('node:worker_threads');
if (workerData.compileCache) require('node:module').enableCompileCache(workerData.compileCache);
import(workerData.entry);
`;

/**
 * The compile cache directory, `<parent>/plumbline-sandbox-cache-<uid>`: one per user, kept
 * across processes (a process stopped by a signal leaves nothing extra; the next CLI run finds
 * the code compiled), used only when it is a real directory owned by this user and closed to
 * everyone else. One that another user made first (the temp dir is shared), a symlink, or a
 * directory others may write to is not used: renders then compile as before. Without a user id
 * (Windows) there is no cache.
 */
function compileCacheDir(settings: SandboxSettings): string | undefined {
  if (settings.compileCache.dir === undefined) {
    settings.compileCache.dir = '';
    const uid = process.getuid?.();
    if (uid !== undefined) {
      const dir = join(settings.compileCache.parent, `plumbline-sandbox-cache-${uid}`);
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch {
        // Already there (checked below), or cannot be made: then no cache.
      }
      try {
        const stat = lstatSync(dir);
        if (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0) {
          settings.compileCache.dir = dir;
        }
      } catch {
        // Not there: no cache.
      }
    }
  }
  return settings.compileCache.dir || undefined;
}

/**
 * A render port that renders each app in a worker thread of its own, used once and stopped.
 * One worker is started ahead as a standby (loading the render code takes a moment), so that
 * renders one after another do not each wait for a thread to start; it does not keep the
 * process alive.
 */
export function createRenderSandbox(options: RenderSandboxOptions = {}): RenderSandbox {
  const settings: SandboxSettings = {
    resourceLimits: { ...defaultSandboxLimits, ...options.resourceLimits },
    timeoutMs: options.timeoutMs ?? 120_000,
    workerUrl: options.workerUrl ?? renderSandboxWorkerUrl(),
    helmEnv: options.helmEnv ?? sandboxHelmEnv(process.env),
    compileCache: { parent: options.cacheParent ?? tmpdir() },
  };
  let standby: Worker | undefined;
  const take = (): Worker => {
    const ready = standby && !exited.has(standby) ? standby : startWorker(settings);
    ready.ref();
    standby = startWorker(settings);
    standby.unref();
    return ready;
  };
  const render: RenderPort = (tree, appPath, renderOptions = {}) =>
    renderInWorker(take(), tree, appPath, renderOptions, settings);
  return Object.assign(render, {
    async close() {
      const idle = standby;
      standby = undefined;
      await idle?.terminate();
    },
  });
}

function startWorker(settings: SandboxSettings): Worker {
  const compileCache = compileCacheDir(settings);
  const worker = new Worker(workerBootstrap, {
    eval: true,
    workerData: { entry: settings.workerUrl.href, ...(compileCache ? { compileCache } : {}) },
    // Nothing of this process's environment (tokens, keys) is copied into the worker.
    env: {},
    argv: [],
    resourceLimits: settings.resourceLimits,
    // The render writes nothing; whatever a library might print is not the CLI's output.
    stdout: true,
    stderr: true,
  });
  // Not read: a stream being read keeps this process alive even with the worker unref'd (the
  // CLI's sweep and the Action never exited); the render prints nothing, so nothing piles up.
  // A standby that failed or stopped before it was given work is replaced when work comes.
  worker.on('error', () => {});
  worker.once('exit', () => exited.add(worker));
  return worker;
}

/** Workers that have exited. */
const exited = new WeakSet<Worker>();

function renderInWorker(
  worker: Worker,
  tree: FileTree,
  appPath: string,
  options: RenderOptions,
  sandbox: SandboxSettings,
): Promise<RenderResult> {
  const job: SandboxJob = {
    appPath,
    ...(options.limits ? { limits: { ...options.limits } } : {}),
    decrypts: options.decryptor !== undefined,
    ...(options.app === undefined ? {} : { app: options.app }),
    ...(options.helmSource ? { helmSource: options.helmSource } : {}),
    // The caller's helm support (functions) cannot cross; the worker builds its own, the same
    // way, from the helm settings of the environment, in the caller's lock mode.
    ...(options.helm
      ? { helm: { lock: options.helm.lock ?? 'verify', env: sandbox.helmEnv } }
      : {}),
  };
  worker.postMessage({ kind: 'job', job });
  return new Promise<RenderResult>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle();
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new RenderError(
            `${appPath}: the render took longer than ${Math.round(sandbox.timeoutMs / 1000)} s and was stopped`,
            { file: appPath, hint: 'Split the app, or look for a runaway patch or generator.' },
          ),
        ),
      );
    }, sandbox.timeoutMs);
    worker.on('message', (message: SandboxRequest | SandboxOutcome) => {
      if ('id' in message) {
        void answer(worker, message, tree, options.decryptor);
        return;
      }
      if (message.kind === 'failed') {
        finish(() => reject(deserializeError(message.error)));
        return;
      }
      finish(() =>
        resolve({
          // Structured clone made ordinary objects: mappings of a render are data maps.
          objects: cloneData(message.objects) as KubeObject[],
          files: message.files,
          digest: message.digest,
          sensitive: message.sensitive,
          charts: message.charts,
        }),
      );
    });
    worker.on('error', (error: Error & { code?: string }) => {
      finish(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new RenderError(
                `${appPath}: the render used more than the sandbox's ${sandbox.resourceLimits.maxOldGenerationSizeMb} MB of memory and was stopped`,
                {
                  file: appPath,
                  cause: error,
                  hint: 'Split the app, or look for YAML aliases or patches that multiply objects.',
                },
              )
            : new RenderError(`${appPath}: the render sandbox failed: ${error.message}`, {
                file: appPath,
                cause: error,
              }),
        ),
      );
    });
    worker.on('exit', (code) => {
      finish(() =>
        reject(
          new RenderError(`${appPath}: the render sandbox exited (code ${code}) without a result`, {
            file: appPath,
          }),
        ),
      );
    });
  });
}

/** Answers one request of the worker from the tree or the decryptor. */
async function answer(
  worker: Worker,
  request: SandboxRequest,
  tree: FileTree,
  decryptor: FileDecryptor | undefined,
): Promise<void> {
  let reply: SandboxAnswer;
  try {
    let value: SandboxValue;
    switch (request.kind) {
      case 'read':
        value = await tree.read(request.path);
        break;
      case 'list':
        value = await tree.list(request.path);
        break;
      case 'stat':
        value = (await tree.stat(request.path)) ?? null;
        break;
      case 'decrypt': {
        const decrypted = decryptor
          ? await decryptor.decrypt(request.path, request.content)
          : undefined;
        value = decrypted?.plaintext ?? null;
        break;
      }
    }
    reply = { id: request.id, ok: true, value };
  } catch (error) {
    reply = { id: request.id, ok: false, error: serializeError(error) };
  }
  try {
    worker.postMessage(reply);
  } catch {
    // The worker is gone (stopped or finished); nothing waits for this answer.
  }
}
