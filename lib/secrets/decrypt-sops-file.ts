/**
 * Decrypts one SOPS file in memory: parse by format, recover the data key from the key groups,
 * decrypt and verify the MAC, write the plaintext in the same format. Every failure is a
 * `DecryptError` naming the file, the keys tried and why each failed; never a value.
 */
import { DecryptError } from '../errors.ts';
import { DataKeyUnavailable, type KeySources, recoverDataKey } from './data-key.ts';
import { loadDotenvSopsFile } from './dotenv-store.ts';
import { loadJsonSopsFile } from './json-store.ts';
import type { LoadedSopsFile, SopsFormat } from './sops-file.ts';
import { decryptTree, type PlainValue } from './sops-tree.ts';
import { importDataKey } from './sops-value.ts';
import { loadYamlSopsFile } from './yaml-store.ts';

/** The store sops picks for a path: by extension, binary for anything else. */
export function sopsFormatOf(path: string): SopsFormat | 'binary' | 'ini' {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.env')) return 'dotenv';
  if (lower.endsWith('.ini')) return 'ini';
  return 'binary';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A decrypted SOPS file. */
export interface DecryptedSopsFile {
  /** The file as `sops --decrypt` prints it: bytes, since binary files and values may hold any. */
  plaintext: Uint8Array;
  /** Every value that was encrypted, decrypted, with its key path, in file order. */
  values: { path: readonly string[]; value: PlainValue }[];
}

const SOPS = new TextEncoder().encode('sops');

function mentionsSops(bytes: Uint8Array): boolean {
  outer: for (
    let i = bytes.indexOf(0x73);
    i !== -1 && i <= bytes.length - 4;
    i = bytes.indexOf(0x73, i + 1)
  ) {
    for (let k = 1; k < 4; k++) if (bytes[i + k] !== SOPS[k]) continue outer;
    return true;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses `content` as a SOPS file of `format`: `undefined` when it is not one (a plain file,
 * or one that does not parse: rendering reports those). Throws `DecryptError` when it is a
 * SOPS file whose metadata is malformed.
 */
export function loadSopsFile(
  path: string,
  content: Uint8Array,
  format: SopsFormat | 'binary' | 'ini',
): LoadedSopsFile | undefined {
  // Cheap test first: rendering calls this for every file it reads.
  if (!mentionsSops(content)) return undefined;
  if (format === 'dotenv') {
    try {
      return loadDotenvSopsFile(content);
    } catch (error) {
      if (/is not KEY=value$/.test(message(error))) return undefined;
      throw malformed(path, error);
    }
  }
  let text: string;
  try {
    // YAML and JSON files are UTF-8 text (go-yaml refuses anything else).
    text = utf8.decode(content);
  } catch {
    return undefined;
  }
  if (format === 'ini') {
    if (!/^\[sops\]\s*$/m.test(text)) return undefined;
    // Passing it on undecrypted would deploy ENC[...] strings as values.
    throw new DecryptError(`${path}: sops INI files are not supported`, {
      file: path,
      hint: 'Encrypt the values as a .env, YAML or JSON file instead.',
    });
  }
  try {
    switch (format) {
      case 'yaml':
        return loadYamlSopsFile(text);
      case 'json':
        return loadJsonSopsFile(text);
      default:
        if (!text.trimStart().startsWith('{')) return undefined;
        return loadJsonSopsFile(text, true);
    }
  } catch (error) {
    if (/^not valid (YAML|JSON)/.test(message(error))) return undefined;
    throw malformed(path, error);
  }
}

function malformed(path: string, error: unknown): DecryptError {
  return new DecryptError(`${path}: not a valid SOPS file: ${message(error)}`, {
    file: path,
    hint: 'Re-encrypt the file with sops; its sops block was edited by hand or truncated.',
  });
}

/** Decrypts a parsed SOPS file with the given key sources. */
export async function decryptLoadedFile(
  path: string,
  file: LoadedSopsFile,
  sources: KeySources,
): Promise<DecryptedSopsFile> {
  let dataKey: Uint8Array;
  try {
    dataKey = await recoverDataKey(file.metadata, sources);
  } catch (error) {
    if (!(error instanceof DataKeyUnavailable)) throw error;
    const tried =
      error.attempts.length === 0
        ? 'no keys were tried'
        : error.attempts.map((a) => `group ${a.group + 1}: ${a.key}: ${a.error}`).join('; ');
    throw new DecryptError(
      `${path}: cannot decrypt the data key: ${error.message}. Tried ${tried}`,
      {
        file: path,
        hint: 'Give Plumbline an age identity or KMS access (kms:Decrypt with the encryption context in the file) for one key of each key group needed.',
      },
    );
  }
  const key = await importDataKey(dataKey);
  dataKey.fill(0);
  let result: Awaited<ReturnType<typeof decryptTree>>;
  try {
    result = await decryptTree(file.leaves, file.comments, file.metadata, key);
  } catch (error) {
    throw new DecryptError(`${path}: ${message(error)}`, {
      file: path,
      hint: 'Edit encrypted files only with `sops edit`; restore the file from Git or re-encrypt it.',
    });
  }
  let plaintext: Uint8Array;
  try {
    plaintext = file.emit(result);
  } catch (error) {
    throw new DecryptError(`${path}: ${message(error)}`, {
      file: path,
      hint: 'sops cannot write this file in its format either; re-encrypt it from a valid plaintext.',
    });
  }
  // Every value that was encrypted, with its key path: what the job's secret ledger masks.
  const values = file.leaves.flatMap((leaf, i) => {
    const value = result.values[i];
    return value === undefined ? [] : [{ path: leaf.path, value }];
  });
  return { plaintext, values };
}

/**
 * Decrypts `content` when it is a SOPS file (format from the path's extension unless given);
 * `undefined` when it is not.
 */
export async function decryptSopsFile(
  path: string,
  content: Uint8Array,
  sources: KeySources,
  format: SopsFormat | 'binary' | 'ini' = sopsFormatOf(path),
): Promise<DecryptedSopsFile | undefined> {
  const file = loadSopsFile(path, content, format);
  if (!file) {
    if (new TextDecoder().decode(content).includes('ENC[AES256_GCM,data:')) {
      // Rendering it as is would deploy ciphertext: the sops block was most likely lost.
      throw new DecryptError(`${path}: holds sops-encrypted values but no sops metadata`, {
        file: path,
        hint: 'Restore the file from Git (its sops block was removed) or re-encrypt it with sops.',
      });
    }
    return undefined;
  }
  return decryptLoadedFile(path, file, sources);
}
