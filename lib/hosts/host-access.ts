/**
 * Host access: from the name a `files` app gives as its target to a `HostShell`, through the
 * operator's host bindings. The binding must exist, allow the app's repository and its
 * destination directory; then an `ssh` binding gets a fresh identity per connection (an
 * in-memory key and a certificate valid for minutes, signed by the binding's CA in the
 * runtime's secrets or in AWS KMS; or the binding's private key) and a `local` binding the
 * runtime's local shell. Nothing from a repository reaches a host address, key or command.
 */
import { bindingAllowsPath, type SshHostTarget } from '../config/host-binding.ts';
import { bindingAllowsRepository, type TargetBinding } from '../config/target-binding.ts';
import { ConfigError, CredentialsError, messageOf } from '../errors.ts';
import type { SecretStore } from '../ports/secret-store.ts';
import type { KmsOptions } from '../secrets/kms-key-source.ts';
import type { HostShell } from './host-shell.ts';
import { kmsCertificateAuthority } from './kms-certificate-authority.ts';
import { signUserCertificate } from './ssh/certificate.ts';
import type { Dial, SshIdentity } from './ssh/client.ts';
import {
  generateEd25519Signer,
  parsePublicKey,
  type SshSigner,
  signerFromPrivateKey,
} from './ssh/keys.ts';
import { sshHostShell } from './ssh-host-shell.ts';

/** What the runtime provides to reach hosts. */
export interface HostAccessDeps {
  /** The settings' target bindings; the `ssh` and `local` ones are hosts. */
  bindings: readonly TargetBinding[];
  /** CA keys and private keys named by bindings. */
  secrets: SecretStore;
  /** TCP sockets; absent where the runtime has none (then `ssh` bindings are refused). */
  dial?: Dial;
  /** A shell on this machine; absent where there is none (then `local` bindings are refused). */
  local?: () => HostShell;
  /** AWS access for CA keys held in KMS. */
  kms?: KmsOptions;
  /** The clock certificates are minted by (Unix milliseconds). */
  now?: () => number;
  /** What to call the runtime in refusals, e.g. `Cloudflare Workers`. */
  runtime?: string;
}

/** Who asks for a host: names the certificate and is checked against the binding. */
export interface HostUse {
  repo: string;
  app: string;
  destination: string;
}

/** Hands out shells per host binding. */
export interface HostAccess {
  open(target: string, use: HostUse): Promise<HostShell>;
}

/** Host access over the operator's bindings. */
export function createHostAccess(deps: HostAccessDeps): HostAccess {
  const authorities = new Map<string, Promise<SshSigner>>();
  const now = deps.now ?? Date.now;

  async function secret(binding: SshHostTarget, name: string, purpose: string): Promise<string> {
    const value = await deps.secrets.get(name);
    if (!value) {
      throw new CredentialsError(
        `host binding ${binding.name}: the runtime holds no secret '${name}' (${purpose})`,
        { hint: `Give the runtime a secret named '${name}' (Node: PLUMBLINE_SECRET_<NAME>).` },
      );
    }
    return value;
  }

  function authority(binding: SshHostTarget): Promise<SshSigner> {
    const certificate =
      binding.credentials.kind === 'certificate' ? binding.credentials : undefined;
    const key = certificate?.kmsKeyId ?? `secret:${certificate?.caSecret}`;
    let known = authorities.get(key);
    if (!known) {
      known = (async () => {
        try {
          if (certificate?.kmsKeyId) {
            if (!deps.kms) throw new Error('AWS KMS is not configured in this runtime');
            return await kmsCertificateAuthority(certificate.kmsKeyId, deps.kms);
          }
          const text = await secret(
            binding,
            certificate?.caSecret ?? '',
            'the SSH certificate authority key',
          );
          return await signerFromPrivateKey(text, 'plumbline-ca');
        } catch (error) {
          authorities.delete(key);
          if (error instanceof CredentialsError) throw error;
          throw new CredentialsError(
            `host binding ${binding.name}: the certificate authority cannot sign: ${messageOf(error)}`,
            { cause: error, hint: 'See infra/ssh/README.md for the CA key formats.' },
          );
        }
      })();
      authorities.set(key, known);
    }
    return known;
  }

  async function identity(binding: SshHostTarget, use: HostUse): Promise<SshIdentity> {
    const credentials = binding.credentials;
    if (credentials.kind === 'privateKey') {
      const text = await secret(binding, credentials.secret, 'the SSH private key');
      try {
        return { signer: await signerFromPrivateKey(text) };
      } catch (error) {
        throw new CredentialsError(
          `host binding ${binding.name}: the private key '${credentials.secret}' cannot be used: ${messageOf(error)}`,
          { hint: 'Use an unencrypted Ed25519 or ECDSA P-256 key (ssh-keygen -t ed25519 -N "").' },
        );
      }
    }
    const ca = await authority(binding);
    const signer = await generateEd25519Signer(`plumbline ${use.repo} ${use.app}`);
    const seconds = Math.floor(now() / 1000);
    const cert = await signUserCertificate(signer.publicKey, ca, {
      keyId: `plumbline ${use.repo} ${use.app} via ${binding.name}`,
      principals: [binding.user],
      // A minute of grace for clocks that disagree.
      validAfter: seconds - 60,
      validBefore: seconds + credentials.ttlSeconds,
    }).catch((error: unknown) => {
      throw new CredentialsError(
        `host binding ${binding.name}: signing the certificate failed: ${messageOf(error)}`,
        { cause: error },
      );
    });
    return { signer, certificate: cert };
  }

  return {
    async open(target, use) {
      const binding = deps.bindings.find((b) => b.name === target);
      if (!binding || binding.kind === 'kubernetes') {
        throw new ConfigError(
          `app ${use.app}: target '${target}' is not a host binding of this runtime`,
          {
            hint: `The operator binds hosts (kind ssh or local) in the runtime settings' targets; hosts here: ${
              deps.bindings
                .filter((b) => b.kind !== 'kubernetes')
                .map((b) => b.name)
                .join(', ') || 'none'
            }.`,
          },
        );
      }
      if (!bindingAllowsRepository(binding, use.repo)) {
        throw new ConfigError(
          `app ${use.app}: host binding '${binding.name}' does not allow the repository ${use.repo}`,
          { hint: "The operator lists the repositories a binding serves in its 'repositories'." },
        );
      }
      if (!bindingAllowsPath(binding, use.destination)) {
        throw new ConfigError(
          `app ${use.app}: destination ${use.destination} is outside the directories host binding '${binding.name}' allows (${binding.paths.join(', ')})`,
          {
            hint: "Deploy under an allowed directory, or ask the operator to add it to the binding's 'paths'.",
          },
        );
      }
      if (binding.kind === 'local') {
        if (!deps.local) {
          throw new ConfigError(`host binding ${binding.name}: local hosts need the Node runtime`, {
            hint: `${deps.runtime ?? 'This runtime'} has no local shell; run plumbline serve or the CLI.`,
          });
        }
        return deps.local();
      }
      if (!deps.dial) {
        throw new ConfigError(
          `host binding ${binding.name}: SSH hosts cannot be reached from ${deps.runtime ?? 'this runtime'}`,
          { hint: 'Run the host apps with the Node runtime (plumbline serve) or the CLI.' },
        );
      }
      const hostKeys = binding.hostKeys.map((line: string) => parsePublicKey(line));
      return sshHostShell({
        host: binding.host.replace(/^\[|\]$/g, ''),
        port: binding.port,
        user: binding.user,
        hostKeys,
        dial: deps.dial,
        identity: () => identity(binding, use),
      });
    },
  };
}
