/**
 * The host inventory: the files equivalent of the ApplySet. One JSON file per app on the
 * host, `<destination>/.plumbline/<app>/inventory.json` (mode 0600), lists which files
 * Plumbline owns there, each with its SHA-256 and mode, and the repository, commit and time
 * of the last deploy. Only files listed are ever changed or removed; an inventory written for
 * another repository is never taken over.
 */
import { PlumblineError } from '../errors.ts';

/** The format version written into every inventory. */
export const INVENTORY_API_VERSION = 'plumbline.dev/files/v1';

/** The directory (under the destination) where Plumbline keeps its state for apps. */
export const STATE_DIR = '.plumbline';

/** One owned file. */
export interface OwnedFile {
  sha256: string;
  /** Permission bits. */
  mode: number;
  /** Decrypted from SOPS when written. */
  sensitive: boolean;
}

/** What the host says Plumbline owns for one app. */
export interface FilesInventory {
  apiVersion: typeof INVENTORY_API_VERSION;
  /** `plumbline/<version>`: who wrote it. */
  tooling: string;
  repo: string;
  app: string;
  /** The commit last deployed. */
  revision: string;
  /** The desired-set digest last deployed. */
  digest: string;
  /** ISO time of the last deploy. */
  appliedAt: string;
  files: Record<string, OwnedFile>;
}

/** The inventory cannot be used: corrupt, or another repository's. */
export class InventoryError extends PlumblineError {
  override readonly name = 'InventoryError';
  constructor(message: string, hint: string) {
    super('apply', message, { hint });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an inventory file's bytes; `where` names it in errors. Throws `InventoryError` when it
 * is not one Plumbline wrote or belongs to another repository or app.
 */
export function parseInventory(
  bytes: Uint8Array,
  where: string,
  expected: { repo: string; app: string },
): FilesInventory {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new InventoryError(
      `${where}: the inventory is not valid JSON`,
      'Someone edited or truncated it: compare the files with Git, then delete the inventory and deploy with adopt: true.',
    );
  }
  const files: Record<string, OwnedFile> = Object.create(null);
  if (
    !isRecord(raw) ||
    raw.apiVersion !== INVENTORY_API_VERSION ||
    typeof raw.repo !== 'string' ||
    typeof raw.app !== 'string' ||
    typeof raw.revision !== 'string' ||
    typeof raw.digest !== 'string' ||
    typeof raw.appliedAt !== 'string' ||
    typeof raw.tooling !== 'string' ||
    !isRecord(raw.files)
  ) {
    throw new InventoryError(
      `${where}: not a Plumbline files inventory (${INVENTORY_API_VERSION})`,
      'Plumbline only manages files its own inventory lists; move this file away if it is not Plumbline’s.',
    );
  }
  for (const [path, entry] of Object.entries(raw.files)) {
    if (
      !isRecord(entry) ||
      typeof entry.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(entry.sha256) ||
      typeof entry.mode !== 'number' ||
      typeof entry.sensitive !== 'boolean'
    ) {
      throw new InventoryError(
        `${where}: entry '${path}' is malformed`,
        'Restore the inventory or delete it and deploy again with adopt: true.',
      );
    }
    files[path] = { sha256: entry.sha256, mode: entry.mode, sensitive: entry.sensitive };
  }
  if (raw.repo !== expected.repo || raw.app !== expected.app) {
    throw new InventoryError(
      `${where}: these files belong to app '${raw.app}' of ${raw.repo}, not '${expected.app}' of ${expected.repo}`,
      'Two apps cannot own one destination under the same name; rename the app or change its destination.',
    );
  }
  return {
    apiVersion: INVENTORY_API_VERSION,
    tooling: raw.tooling,
    repo: raw.repo,
    app: raw.app,
    revision: raw.revision,
    digest: raw.digest,
    appliedAt: raw.appliedAt,
    files,
  };
}

/** The bytes written to the host: stable key order, one file per line for readable diffs. */
export function serializeInventory(inventory: FilesInventory): Uint8Array {
  const files = Object.keys(inventory.files)
    .sort()
    .map((path) => `    ${JSON.stringify(path)}: ${JSON.stringify(inventory.files[path])}`);
  const head = (
    ['apiVersion', 'tooling', 'repo', 'app', 'revision', 'digest', 'appliedAt'] as const
  )
    .map((key) => `  ${JSON.stringify(key)}: ${JSON.stringify(inventory[key])},`)
    .join('\n');
  const body = files.length ? `{\n${files.join(',\n')}\n  }` : '{}';
  return new TextEncoder().encode(`{\n${head}\n  "files": ${body}\n}\n`);
}
