/** Reads the SOPS fixtures made by test/fixtures/secrets/make-fixtures.sh with the real sops. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/secrets');

/** A fixture file's text. */
export function fixture(name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** A fixture file's bytes. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, name)));
}

/** The three test-only age identities, in the order of their recipients in the fixtures. */
export const ageIdentities: readonly string[] = fixture('age-keys.txt')
  .split('\n')
  .filter((line) => line.startsWith('AGE-SECRET-KEY-'));

/** The recipients (public keys) of `ageIdentities`. */
export const ageRecipients: readonly string[] = fixture('age-keys.txt')
  .split('\n')
  .filter((line) => line.startsWith('# public key: '))
  .map((line) => line.slice('# public key: '.length));
