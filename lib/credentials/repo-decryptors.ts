/**
 * SOPS decryptors per repository: each repository's files are opened only with the keys the
 * operator gave that repository (`repositories[].sops` in the runtime settings: age
 * identities held as named secrets, and the KMS keys it may use). A repository that copies
 * another's encrypted file into its own tree gets a decryption error, not the plaintext. Each
 * repository has its own decryptor, so the data keys one opened are never reused for another.
 */
import type { FileDecryptor } from '../core/decryptor.ts';
import { DecryptError } from '../errors.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import type { SecretStore } from '../ports/secret-store.ts';
import type { KmsOptions } from '../secrets/kms-key-source.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';

/** What the runtime provides for decryption. */
export interface RepoDecryptorDeps {
  /** Holds the age identities the settings name. */
  secrets: SecretStore;
  /** AWS KMS access of the runtime; each repository may use only its listed keys through it. */
  kms?: KmsOptions;
}

/** A function handing out each repository's decryptor (made once per repository). */
export function repoDecryptors(deps: RepoDecryptorDeps): (repo: RegisteredRepo) => FileDecryptor {
  const byRepo = new Map<string, FileDecryptor>();
  return (repo) => {
    const key = repo.fullName.toLowerCase();
    let decryptor = byRepo.get(key);
    if (!decryptor) {
      decryptor = lazyDecryptor(repo, deps);
      byRepo.set(key, decryptor);
    }
    return decryptor;
  };
}

function lazyDecryptor(repo: RegisteredRepo, deps: RepoDecryptorDeps): FileDecryptor {
  let real: Promise<FileDecryptor> | undefined;
  const open = async (): Promise<FileDecryptor> => {
    const ageIdentities: string[] = [];
    for (const name of repo.sops?.ageKeys ?? []) {
      const value = await deps.secrets.get(name);
      if (!value) {
        throw new DecryptError(
          `${repo.fullName}: the runtime holds no secret '${name}' (an age identity named by runtime setting repositories[].sops.ageKeys)`,
          {
            hint: `Give the runtime the secret '${name}', or remove it from the repository's sops.ageKeys.`,
          },
        );
      }
      ageIdentities.push(value);
    }
    return createSopsDecryptor({
      ageIdentities,
      ...(deps.kms ? { kms: deps.kms } : {}),
      allowedKmsKeys: repo.sops?.kmsKeys ?? [],
      repository: repo.fullName,
    });
  };
  return {
    async decrypt(path, content) {
      // Plain files never need the keys: a missing key must not fail a render without SOPS.
      if (!mentionsSops(content)) return undefined;
      real ??= open();
      real.catch(() => {
        real = undefined;
      });
      return (await real).decrypt(path, content);
    },
  };
}

const SOPS = [0x73, 0x6f, 0x70, 0x73];

/** Every SOPS file (YAML, JSON, dotenv, binary envelope) holds the bytes `sops`. */
function mentionsSops(content: Uint8Array): boolean {
  outer: for (let i = 0; i + SOPS.length <= content.length; i += 1) {
    for (let j = 0; j < SOPS.length; j += 1) {
      if (content[i + j] !== SOPS[j]) continue outer;
    }
    return true;
  }
  return false;
}
