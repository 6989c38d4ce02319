/**
 * The messages between the render sandbox (a worker thread) and the process that starts it.
 * The worker asks for files and decryptions; the parent answers them and receives the result.
 * Everything crossing is plain data (structured clone): no function, class instance or key.
 */

import {
  ConfigError,
  DecryptError,
  PlumblineError,
  RenderError,
  SourceError,
} from '../../lib/errors.ts';
import type { ChartLockMode } from '../../lib/render/helm-renderer.ts';
import type { HelmAppSource, RenderedChart } from '../../lib/render/index.ts';
import type { RenderLimits } from '../../lib/render/limits.ts';
import type { FileStat } from '../../lib/source/file-tree.ts';

/** What the worker is started with (`workerData`). */
export interface SandboxJob {
  appPath: string;
  limits?: Partial<RenderLimits>;
  /** Whether the parent has a decryptor to ask; without one, files are read as written. */
  decrypts: boolean;
  /** The app rendered, named in messages. */
  app?: string;
  /** The app's `helm:` source in `plumbline.yaml`. */
  helmSource?: { helm: HelmAppSource; namespace?: string };
  /**
   * Helm for this render: the worker builds its own helm support from these environment
   * variables (helm's binary, limits, chart cache and plain-HTTP hosts; no credential).
   */
  helm?: { lock: ChartLockMode; env: Record<string, string> };
}

/** A request from the worker, without its id. */
export type SandboxQuestion =
  | { kind: 'read' | 'list' | 'stat'; path: string }
  | { kind: 'decrypt'; path: string; content: Uint8Array };

/** A request from the worker, answered by a `SandboxAnswer` with the same id. */
export type SandboxRequest = SandboxQuestion & { id: number };

/** What a request is answered with: bytes, entries, a stat, or null for nothing. */
export type SandboxValue = Uint8Array | string[] | FileStat | null;

/** The parent's answer to one request. */
export type SandboxAnswer =
  | { id: number; ok: true; value: SandboxValue }
  | { id: number; ok: false; error: SerializedError };

/** The worker's last message: the render's result or its error. */
export type SandboxOutcome =
  | {
      kind: 'done';
      objects: unknown[];
      files: string[];
      digest: string;
      sensitive: string[];
      charts: RenderedChart[];
    }
  | { kind: 'failed'; error: SerializedError };

/** An error as plain data. */
export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  object?: string;
}

const errorClasses = new Map<string, new (message: string, options?: object) => PlumblineError>([
  ['RenderError', RenderError],
  ['DecryptError', DecryptError],
  ['SourceError', SourceError],
  ['ConfigError', ConfigError],
]);

/** An error as plain data (no cause: it may hold values, and it stays on its side). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof PlumblineError) {
    return {
      name: error.name,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.file === undefined ? {} : { file: error.file }),
      ...(error.line === undefined ? {} : { line: error.line }),
      ...(error.object === undefined ? {} : { object: error.object }),
    };
  }
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  };
}

/** The error again, as the class it was on the other side (a plain `Error` for others). */
export function deserializeError(data: SerializedError): Error {
  const Class = errorClasses.get(data.name);
  if (!Class) {
    const error = new Error(data.message);
    error.name = data.name;
    return error;
  }
  return new Class(data.message, {
    hint: data.hint,
    file: data.file,
    line: data.line,
    object: data.object,
  });
}
