/**
 * Opens age envelopes of the data key with X25519 identities (`AGE-SECRET-KEY-1...`), through
 * `age-encryption` (pure TypeScript and WebCrypto: runs on Workers and Node).
 */
import { armor, Decrypter } from 'age-encryption';

/** Decrypts an armored age envelope with the configured identities. */
export interface AgeKeySource {
  /** Whether any identity is configured at all. */
  readonly configured: boolean;
  decrypt(armored: string): Promise<Uint8Array>;
}

/** An age key source over identity strings (whole key files are accepted: comments are skipped). */
export function createAgeKeySource(identities: readonly string[] = []): AgeKeySource {
  const keys = identities
    .flatMap((text) => text.split(/\r?\n/))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('AGE-SECRET-KEY-'));
  return {
    configured: keys.length > 0,
    async decrypt(armored) {
      if (keys.length === 0) throw new Error('no age identity is configured');
      const decrypter = new Decrypter();
      for (const key of keys) decrypter.addIdentity(key);
      let file: Uint8Array;
      try {
        file = armor.decode(armored);
      } catch {
        throw new Error('the age envelope is not valid ASCII armor');
      }
      try {
        return await decrypter.decrypt(file);
      } catch (error) {
        // typage says "no identity matched any of the file's recipients" for a wrong key.
        throw new Error(error instanceof Error ? error.message : 'age decryption failed');
      }
    },
  };
}
