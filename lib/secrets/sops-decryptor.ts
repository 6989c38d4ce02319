/**
 * The `FileDecryptor` rendering uses: SOPS files (detected by their top-level `sops` metadata)
 * come back as plaintext in the same format, plain files as `undefined`.
 */
import type { DecryptedFile, DecryptedValue, FileDecryptor } from '../core/decryptor.ts';
import { createAgeKeySource } from './age-key-source.ts';
import { memoizeKeySources } from './data-key.ts';
import { decryptSopsFile } from './decrypt-sops-file.ts';
import { createKmsKeySource, type KmsOptions } from './kms-key-source.ts';
import type { PlainValue } from './sops-tree.ts';

/** Where the data keys of SOPS files can be opened. */
export interface SopsDecryptorOptions {
  /** AWS KMS access; without it, KMS keys fail with "AWS KMS is not configured". */
  kms?: KmsOptions;
  /** age identities (`AGE-SECRET-KEY-1...`, or whole key files). */
  ageIdentities?: readonly string[];
  /**
   * The KMS keys files may name (exact ARNs, or prefixes ending in `/*`); absent: any key
   * the credentials can use. Set per repository by the server runtimes, so a repository that
   * copies another's SOPS file cannot have it opened with the other's key.
   */
  allowedKmsKeys?: readonly string[];
  /**
   * The repository (`owner/name`) whose files this decryptor opens: a KMS envelope whose
   * encryption context names another `repo` is refused, so a file copied from another
   * repository is not opened with the shared key.
   */
  repository?: string;
}

/** True when `arn` is one of `allowed` (an exact ARN, or a prefix ending in `/*`). */
export function kmsKeyAllowed(arn: string, allowed: readonly string[]): boolean {
  return allowed.some((pattern) =>
    pattern.endsWith('/*') ? arn.startsWith(pattern.slice(0, -1)) : arn === pattern,
  );
}

/**
 * A `FileDecryptor` for SOPS files (YAML, JSON, dotenv and binary envelopes). It remembers
 * the data keys it opened for a few minutes (see `memoizeKeySources`), so it may live as long
 * as the process.
 */
export function createSopsDecryptor(options: SopsDecryptorOptions = {}): FileDecryptor {
  const kms = createKmsKeySource(options.kms);
  const { allowedKmsKeys: allowed, repository } = options;
  const sources = memoizeKeySources({
    age: createAgeKeySource(options.ageIdentities),
    kms:
      allowed === undefined && repository === undefined
        ? kms
        : {
            async decrypt(entry) {
              if (allowed !== undefined && !kmsKeyAllowed(entry.arn, allowed)) {
                throw new Error(
                  'this repository may not use this KMS key (runtime setting repositories[].sops.kmsKeys)',
                );
              }
              const named = Object.hasOwn(entry.context, 'repo') ? entry.context.repo : undefined;
              if (
                repository !== undefined &&
                named !== undefined &&
                named.toLowerCase() !== repository.toLowerCase()
              ) {
                throw new Error(
                  `the encryption context names repository ${named}, not ${repository}: a file copied from another repository is not opened`,
                );
              }
              return kms.decrypt(entry);
            },
          },
  });
  return {
    async decrypt(path: string, content: Uint8Array): Promise<DecryptedFile | undefined> {
      const decrypted = await decryptSopsFile(path, content, sources);
      if (decrypted === undefined) return undefined;
      const values: DecryptedValue[] = decrypted.values.map((leaf) => ({
        path: leaf.path,
        value: textOf(leaf.value),
      }));
      return { plaintext: decrypted.plaintext, values };
    },
  };
}

/** A decrypted value as text, the way it reaches objects and output. */
function textOf(plain: PlainValue): string {
  if (plain.type === 'str' || plain.type === 'bytes') return new TextDecoder().decode(plain.bytes);
  return String(plain.value);
}
