/**
 * Recovers a file's data key from its key groups: within a group any key that opens its
 * envelope is enough (age before KMS, as sops orders them); across groups, enough Shamir shares
 * to reach the threshold. Every attempt is recorded so a failure can say what was tried.
 */
import type { AgeKeySource } from './age-key-source.ts';
import type { KmsKeySource } from './kms-key-source.ts';
import { combineShares } from './shamir.ts';
import type { KeyEntry, SopsMetadata } from './sops-metadata.ts';

/** One key tried, and why it failed (never a secret: the reasons come from KMS and age). */
export interface KeyAttempt {
  group: number;
  key: string;
  error: string;
}

/** The key sources a decryption may use. */
export interface KeySources {
  age: AgeKeySource;
  kms: KmsKeySource;
}

/** Thrown when no data key could be recovered; carries every attempt. */
export class DataKeyUnavailable extends Error {
  override readonly name = 'DataKeyUnavailable';
  readonly attempts: readonly KeyAttempt[];
  constructor(message: string, attempts: readonly KeyAttempt[]) {
    super(message);
    this.attempts = attempts;
  }
}

/** A short, non-secret name of a key: the ARN (with context) or the age recipient. */
export function describeKey(entry: KeyEntry): string {
  switch (entry.type) {
    case 'kms': {
      const context = Object.entries(entry.context)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return `kms ${entry.arn}${context ? ` (context ${context})` : ''}`;
    }
    case 'age':
      return `age ${entry.recipient}`;
    default:
      return `${entry.kind} ${entry.name}`;
  }
}

/** How long, and how many, opened data keys `memoizeKeySources` keeps. */
export interface KeyMemoLimits {
  ttlMs: number;
  maxEntries: number;
}

const DEFAULT_MEMO: KeyMemoLimits = { ttlMs: 10 * 60_000, maxEntries: 256 };

/**
 * Key sources that open each envelope once: files read again (a base shared by overlays, the
 * next job on the same commit) cost no second KMS call. Only successes are kept, in memory,
 * for at most `ttlMs` and `maxEntries` (oldest dropped first), so a long-lived decryptor holds
 * few keys and none for long. `now` is injectable for tests.
 */
export function memoizeKeySources(
  sources: KeySources,
  limits: Partial<KeyMemoLimits> = {},
  now: () => number = Date.now,
): KeySources {
  const { ttlMs, maxEntries } = { ...DEFAULT_MEMO, ...limits };
  const opened = new Map<string, { at: number; key: Promise<Uint8Array> }>();
  const once = (id: string, open: () => Promise<Uint8Array>): Promise<Uint8Array> => {
    const t = now();
    for (const [k, v] of opened) if (t - v.at >= ttlMs) opened.delete(k);
    let entry = opened.get(id);
    if (!entry) {
      entry = { at: t, key: open() };
      opened.set(id, entry);
      entry.key.catch(() => opened.delete(id));
      while (opened.size > maxEntries) {
        const oldest = opened.keys().next().value;
        if (oldest === undefined) break;
        opened.delete(oldest);
      }
    }
    // Callers may zero what they get; each gets its own copy.
    return entry.key.then((key) => key.slice());
  };
  const context = (entry: { context: Record<string, string> }) =>
    JSON.stringify(Object.entries(entry.context).sort());
  return {
    age: {
      configured: sources.age.configured,
      decrypt: (armored) => once(`age|${armored}`, () => sources.age.decrypt(armored)),
    },
    kms: {
      decrypt: (entry) =>
        once(`kms|${entry.arn}|${context(entry)}|${entry.role ?? ''}|${entry.enc}`, () =>
          sources.kms.decrypt(entry),
        ),
    },
  };
}

const ORDER: Record<KeyEntry['type'], number> = { age: 0, kms: 1, unsupported: 2 };

async function openGroup(
  group: readonly KeyEntry[],
  index: number,
  sources: KeySources,
  attempts: KeyAttempt[],
): Promise<Uint8Array | undefined> {
  const ordered = [...group].sort((a, b) => ORDER[a.type] - ORDER[b.type]);
  for (const entry of ordered) {
    try {
      if (entry.type === 'age') return await sources.age.decrypt(entry.enc);
      if (entry.type === 'kms') return await sources.kms.decrypt(entry);
      throw new Error(`${entry.kind} keys are not supported by Plumbline`);
    } catch (error) {
      attempts.push({
        group: index,
        key: describeKey(entry),
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return undefined;
}

/** The 32-byte data key, or `DataKeyUnavailable` listing every key tried. */
export async function recoverDataKey(
  metadata: SopsMetadata,
  sources: KeySources,
): Promise<Uint8Array> {
  const attempts: KeyAttempt[] = [];
  const groups = metadata.keyGroups;
  let key: Uint8Array | undefined;
  if (groups.length === 1) {
    key = await openGroup(groups[0] ?? [], 0, sources, attempts);
    if (!key) throw new DataKeyUnavailable('no key could decrypt the data key', attempts);
  } else {
    const threshold = metadata.shamirThreshold === 0 ? groups.length : metadata.shamirThreshold;
    const shares: Uint8Array[] = [];
    // Groups are opened one by one and only until the threshold is met: each KMS call costs.
    for (const [i, group] of groups.entries()) {
      if (shares.length >= threshold) break;
      const share = await openGroup(group, i, sources, attempts);
      if (share) shares.push(share);
    }
    if (shares.length < threshold) {
      throw new DataKeyUnavailable(
        `only ${shares.length} of the ${threshold} key groups needed could be decrypted`,
        attempts,
      );
    }
    try {
      key = combineShares(shares);
    } catch (error) {
      throw new DataKeyUnavailable(
        `the key group shares do not combine: ${error instanceof Error ? error.message : error}`,
        attempts,
      );
    }
  }
  if (key.length !== 32) {
    throw new DataKeyUnavailable(`the data key has ${key.length} bytes instead of 32`, attempts);
  }
  return key;
}
