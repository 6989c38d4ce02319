/**
 * The render sandbox's worker thread: renders one app and exits. It holds no credential, no
 * key and no environment (its `process.env` is empty): files and decryptions are asked of the
 * parent over the message port, and only ciphertext goes out. Whatever the repository does to
 * this thread's objects stays in this thread, which ends with the render.
 */
import * as nodeModule from 'node:module';
import { parentPort } from 'node:worker_threads';
import type { FileDecryptor } from '../../lib/core/decryptor.ts';
import { cloneData } from '../../lib/render/data-map.ts';
import { renderApp } from '../../lib/render/index.ts';
import type { FileStat, FileTree } from '../../lib/source/file-tree.ts';
import { helmSupportFromEnv } from './helm-support.ts';
import {
  deserializeError,
  type SandboxAnswer,
  type SandboxJob,
  type SandboxOutcome,
  type SandboxQuestion,
  type SandboxRequest,
  serializeError,
} from './render-sandbox-protocol.ts';

const port = parentPort;
if (!port) throw new Error('render-sandbox-worker.ts runs only as a worker thread');

// Defence in depth: this thread runs only the render, so its built-in prototypes can be frozen.
// Should a way to write through `__proto__` ever come back, it would fail here, not pollute.
for (const intrinsic of [
  Object,
  Array,
  Function,
  String,
  Number,
  Boolean,
  RegExp,
  Map,
  Set,
  Promise,
]) {
  Object.freeze(intrinsic.prototype);
}

const pending = new Map<
  number,
  { resolve: (value: unknown) => void; reject: (e: Error) => void }
>();
let nextId = 0;

// The render code is compiled by now: write it to the sandbox's compile cache (when the sandbox
// turned one on) while waiting, so the next worker need not compile it again; a worker is
// stopped as soon as it answers, before Node would write the cache at its exit.
nodeModule.flushCompileCache?.();

// The worker starts before it has work (a warm standby); its one job is the first message.
const job = await new Promise<SandboxJob>((resolve) => {
  port.once('message', (message: { kind: 'job'; job: SandboxJob }) => resolve(message.job));
});

port.on('message', (answer: SandboxAnswer) => {
  const waiting = pending.get(answer.id);
  if (!waiting) return;
  pending.delete(answer.id);
  if (answer.ok) waiting.resolve(answer.value);
  else waiting.reject(deserializeError(answer.error));
});

function ask<T>(request: SandboxQuestion): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    port?.postMessage({ ...request, id } as SandboxRequest);
  });
}

/** The parent's tree, read over the port. */
const tree: FileTree = {
  revision: 'sandbox',
  read: (path) => ask<Uint8Array>({ kind: 'read', path }),
  list: (path) => ask<string[]>({ kind: 'list', path }),
  stat: async (path) => (await ask<FileStat | null>({ kind: 'stat', path })) ?? undefined,
};

/** Decryption by the parent, which holds the keys: ciphertext out, plaintext back. */
const decryptor: FileDecryptor = {
  async decrypt(path, content) {
    const plaintext = await ask<Uint8Array | null>({ kind: 'decrypt', path, content });
    return plaintext ? { plaintext } : undefined;
  },
};

let outcome: SandboxOutcome;
try {
  const result = await renderApp(tree, job.appPath, {
    ...(job.decrypts ? { decryptor } : {}),
    ...(job.limits ? { limits: job.limits } : {}),
    ...(job.app === undefined ? {} : { app: job.app }),
    // Structured clone made ordinary objects: mappings from a repository are data maps again.
    ...(job.helmSource ? { helmSource: cloneData(job.helmSource) } : {}),
    // helm runs from this thread: its support (binary, cache, chart fetch) holds no secret.
    ...(job.helm ? { helm: helmSupportFromEnv(job.helm.env, { lock: job.helm.lock }) } : {}),
  });
  outcome = { kind: 'done', ...result };
} catch (error) {
  outcome = { kind: 'failed', error: serializeError(error) };
}
port.postMessage(outcome);
port.close();
