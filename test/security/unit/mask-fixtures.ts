/**
 * Shared set-up of the unit masking tests: the flow fixtures with a real SOPS decryptor for the
 * test-only age keys, and one view of everything a job published (GitHub records and logs), to
 * search for plaintext.
 */
import type { FlowDeps } from '../../../lib/flows/flow-deps.ts';
import type { MemoryLogger } from '../../../lib/ports/logger.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import type { MemoryGitHost } from '../../doubles/memory-git-host.ts';
import { flowSetup, prodTarget } from '../../unit/flows/fixtures.ts';
import { ageIdentities, fixture } from '../../unit/secrets/fixtures.ts';

/** Plaintext values of `app.sops.env` (the dotenv fixture). */
export const envSecrets = ['hunter2', 'postgres://u:p@h/db?x=1'];

/** The SOPS dotenv fixture's text. */
export const sopsEnv = fixture('app.sops.env');

/**
 * The flow fixtures, decrypting with the test age identities; the binding also serves
 * namespace `shop` (the SOPS Secret fixture's, fixed by its MAC).
 */
export function sopsFlowSetup() {
  const setup = flowSetup();
  const decryptor = createSopsDecryptor({ ageIdentities: [...ageIdentities] });
  const deps: FlowDeps = {
    ...setup.deps,
    targets: [{ ...prodTarget, namespaces: [...prodTarget.namespaces, 'shop'] }],
    decryptorFor: () => decryptor,
  };
  return { ...setup, deps };
}

/** Every text a job sent anywhere: comments, check runs, statuses, deployments, issues, logs. */
export function published(git: MemoryGitHost, logger: MemoryLogger): string {
  return JSON.stringify({
    comments: [...git.comments.values()],
    checkRuns: git.checkRuns,
    statuses: git.statuses,
    deployments: git.deployments,
    issues: [...git.issues.values()],
    logs: logger.entries,
  });
}

/** A base64 form of `text` (as Secret data would hold it). */
export function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}
