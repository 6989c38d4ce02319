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
}

/**
 * A `FileDecryptor` for SOPS files (YAML, JSON, dotenv and binary envelopes). It remembers
 * the data keys it opened for a few minutes (see `memoizeKeySources`), so it may live as long
 * as the process.
 */
export function createSopsDecryptor(options: SopsDecryptorOptions = {}): FileDecryptor {
  const sources = memoizeKeySources({
    age: createAgeKeySource(options.ageIdentities),
    kms: createKmsKeySource(options.kms),
  });
  const encoder = new TextEncoder();
  return {
    async decrypt(path: string, content: Uint8Array): Promise<DecryptedFile | undefined> {
      let values: DecryptedValue[] = [];
      const plaintext = await decryptSopsFile(path, content, sources, undefined, (plain) => {
        values = plain.map((leaf) => ({ path: leaf.path, value: textOf(leaf.value) }));
      });
      return plaintext === undefined ? undefined : { plaintext: encoder.encode(plaintext), values };
    },
  };
}

/** A decrypted value as text, the way it reaches objects and output. */
function textOf(plain: PlainValue): string {
  return typeof plain.value === 'string' ? plain.value : String(plain.value);
}
