/**
 * Host access: from the name a `files` app gives as its target to a `HostShell`, through the
 * operator's host bindings. The binding must exist, allow the app's repository and its
 * destination directory; then an `ssh` binding gets a fresh identity per connection (an
 * in-memory key and a certificate valid for minutes, signed by the binding's CA in the
 * runtime's secrets or in AWS KMS; or the binding's private key) and a `local` binding the
 * runtime's local shell. Nothing from a repository reaches a host address, key or command.
 */
import {
  bindingAllowsPath,
  bindingAllowsRepo,
  type HostBinding,
  type SshHostBinding,
} from '../config/host-binding.ts';
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
  bindings: readonly HostBinding[];
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

  async function secret(binding: SshHostBinding, name: string, purpose: string): Promise<string> {
    const value = await deps.secrets.get(name);
    if (!value) {
      throw new CredentialsError(
        `host binding ${binding.name}: the runtime holds no secret '${name}' (${purpose})`,
        { hint: `Give the runtime a secret named '${name}' (Node: PLUMBLINE_SECRET_<NAME>).` },
      );
    }
    return value;
  }

  function authority(binding: SshHostBinding): Promise<SshSigner> {
    const certificate = binding.credentials.certificate;
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

  async function identity(binding: SshHostBinding, use: HostUse): Promise<SshIdentity> {
    const { certificate, privateKey } = binding.credentials;
    if (privateKey) {
      const text = await secret(binding, privateKey.secret, 'the SSH private key');
      try {
        return { signer: await signerFromPrivateKey(text) };
      } catch (error) {
        throw new CredentialsError(
          `host binding ${binding.name}: the private key '${privateKey.secret}' cannot be used: ${messageOf(error)}`,
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
      validBefore: seconds + (certificate?.ttlSeconds ?? 300),
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
      if (!binding) {
        throw new ConfigError(
          `app ${use.app}: target '${target}' is not a host binding of this runtime`,
          {
            hint: `The operator defines host bindings in the runtime settings (hosts:); known: ${deps.bindings.map((b) => b.name).join(', ') || 'none'}.`,
          },
        );
      }
      if (!bindingAllowsRepo(binding, use.repo)) {
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
      const hostKeys = binding.hostKeys.map((line) => parsePublicKey(line));
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

/**
 * Host access for a runtime with no host bindings (a Worker without `PLUMBLINE_HOSTS`): every
 * `files` app fails with a clear message saying where host targets are configured; Kubernetes
 * apps are not affected.
 */
export function unavailableHostAccess(runtime: string): HostAccess {
  return {
    async open(target, use) {
      throw new ConfigError(
        `app ${use.app}: host target '${target}' cannot be reached from ${runtime}`,
        {
          hint: 'This runtime has no host bindings: define them (PLUMBLINE_HOSTS on Workers, hosts: in the Node settings file; infra/ssh/README.md), or deploy files apps with the Node runtime.',
        },
      );
    },
  };
}
