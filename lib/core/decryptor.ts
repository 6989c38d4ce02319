/**
 * The port through which rendering decrypts SOPS files as it loads them. Rendering knows
 * nothing of SOPS; `lib/secrets` implements this.
 */

/** The plaintext of an encrypted file. */
export interface DecryptedFile {
  /** The file as if it had been written in the clear (same format: YAML, JSON or dotenv). */
  plaintext: Uint8Array;
  /**
   * Every value that was encrypted in the file, as text, with its key path from the document
   * root (values stored in clear, such as `*_unencrypted` keys or those outside
   * `encrypted_regex`, are not listed): what the job's secret ledger masks wherever it lands.
   */
  values?: readonly DecryptedValue[];
}

/** One value of a decrypted file. */
export interface DecryptedValue {
  /** Mapping keys from the document root (`['stringData', 'password']`, `['DB_URL']`). */
  path: readonly string[];
  value: string;
}

/** Decrypts files that are SOPS-encrypted and leaves others alone. */
export interface FileDecryptor {
  /**
   * The plaintext of `path` when `content` is a SOPS-encrypted file, `undefined` when it is
   * not encrypted. Throws `DecryptError` (naming the file) when it is encrypted but cannot be
   * decrypted or fails its MAC check.
   */
  decrypt(path: string, content: Uint8Array): Promise<DecryptedFile | undefined>;
}
