/**
 * Host bindings: where a `files` app's target is, and how Plumbline logs in there. They live
 * in the operator's runtime settings, never in a repository: `plumbline.yaml` only names a
 * binding, and a binding says which repositories may use it and under which directories they
 * may write. An `ssh` binding pins the host key (no trust on first use) and names where the
 * credential comes from: an SSH certificate authority (a key in the runtime's secrets, or an
 * AWS KMS key that never leaves KMS) that mints a certificate per use, or, weaker, a private
 * key. A `local` binding is the machine Plumbline runs on.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const bindingName = z.string().regex(DNS_LABEL, {
  error: "must be a DNS label: lowercase letters, digits and '-' (e.g. 'web-1')",
});

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** `owner/name`, or `owner/*` for every repository of an owner. */
const repositoryPattern = z.string().regex(/^[A-Za-z0-9_.-]+\/(\*|[A-Za-z0-9_.-]+)$/, {
  error: "must be 'owner/name' or 'owner/*'",
});

/** An absolute directory made of plain names. */
export const hostDirectorySchema = z
  .string()
  .refine(
    (value) =>
      /^(\/[A-Za-z0-9_+@][A-Za-z0-9._+@-]*)+\/?$/.test(value) &&
      !value.split('/').some((segment) => segment === '.' || segment === '..'),
    { error: "must be an absolute directory made of plain names, e.g. '/etc/nginx'" },
  );

/** A host name or address; link-local and metadata addresses are refused. */
const hostAddress = z
  .string()
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/,
    {
      error: "must be a host name or an IP address (e.g. 'web-1.example.com', '192.0.2.10')",
    },
  )
  .refine((value) => !/^169\.254\./.test(value) && !/^\[?fe80:/i.test(value), {
    error: 'is a link-local (cloud metadata) address; Plumbline refuses those',
  });

/** A pinned host key: one `authorized_keys`-style line. */
const hostKeyLine = z
  .string()
  .regex(
    /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ssh-rsa) [A-Za-z0-9+/]+={0,2}( .*)?$/,
    {
      error:
        "must be a host public key line such as 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 HOST, or /etc/ssh/ssh_host_ed25519_key.pub)",
    },
  );

/** Where an `ssh` binding's credential comes from: exactly one source. */
export const SshCredentialsSchema = z
  .strictObject({
    /** Mint a user certificate per connection, signed by a CA key. */
    certificate: z
      .strictObject({
        /** A runtime secret holding the CA's private key (OpenSSH or PKCS#8, Ed25519 or P-256). */
        caSecret: nonEmpty.optional(),
        /** An AWS KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs: it never leaves KMS. */
        kmsKeyId: z
          .string()
          .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, {
            error: "must be a KMS key ARN (e.g. 'arn:aws:kms:eu-west-1:123456789012:key/…')",
          })
          .optional(),
        /** How long each certificate is valid (default 300 s). */
        ttlSeconds: z
          .int({ error: 'must be a whole number of seconds' })
          .min(60, { error: 'must be at least 60' })
          .max(3600, { error: 'must be at most 3600: certificates are meant to be short-lived' })
          .default(300),
      })
      .refine((c) => (c.caSecret === undefined) !== (c.kmsKeyId === undefined), {
        error: 'name exactly one of caSecret and kmsKeyId',
      })
      .optional(),
    /** A long-lived private key in the runtime's secrets: the weaker choice. */
    privateKey: z.strictObject({ secret: nonEmpty }).optional(),
  })
  .refine((c) => (c.certificate === undefined) !== (c.privateKey === undefined), {
    error: 'name exactly one credential source: certificate (recommended) or privateKey',
  });

const common = {
  name: bindingName,
  /** Repositories allowed to deploy through this binding. */
  repositories: z.array(repositoryPattern).min(1, { error: 'must allow at least one repository' }),
  /** Directories apps may deploy into (each app's destination must be one of them or below). */
  paths: z.array(hostDirectorySchema).min(1, { error: 'must allow at least one directory' }),
};

/** An SSH host. */
export const SshHostBindingSchema = z.strictObject({
  kind: z.literal('ssh'),
  ...common,
  host: hostAddress,
  port: z.int().min(1).max(65535).default(22),
  /** The host keys to accept; a key not listed is refused (rotate by listing both). */
  hostKeys: z.array(hostKeyLine).min(1, { error: 'must pin at least one host key' }),
  user: z.string().regex(/^[a-z_][a-z0-9_-]*[$]?$/, { error: 'must be a Unix user name' }),
  credentials: SshCredentialsSchema,
});

/** The machine Plumbline runs on. */
export const LocalHostBindingSchema = z.strictObject({
  kind: z.literal('local'),
  ...common,
});

/** One host binding of the runtime settings. */
export const HostBindingSchema = z.discriminatedUnion('kind', [
  SshHostBindingSchema,
  LocalHostBindingSchema,
]);

/** A validated host binding. */
export type HostBinding = z.infer<typeof HostBindingSchema>;

/** A validated `ssh` host binding. */
export type SshHostBinding = z.infer<typeof SshHostBindingSchema>;

/** Whether `repo` (`owner/name`) may use `binding`. */
export function bindingAllowsRepo(binding: HostBinding, repo: string): boolean {
  const [owner] = repo.split('/');
  return binding.repositories.some(
    (pattern) =>
      pattern.toLowerCase() === repo.toLowerCase() ||
      pattern.toLowerCase() === `${owner?.toLowerCase()}/*`,
  );
}

/** Whether `destination` is one of the binding's directories or inside one. */
export function bindingAllowsPath(binding: HostBinding, destination: string): boolean {
  const clean = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
  const target = clean(destination);
  return binding.paths.some((allowed) => {
    const root = clean(allowed);
    return target === root || target.startsWith(root === '/' ? '/' : `${root}/`);
  });
}

/**
 * Validates the `hosts` list of runtime settings; throws `ConfigError` naming the binding and
 * field.
 */
export function parseHostBindings(raw: unknown, where: string): HostBinding[] {
  const result = z.array(HostBindingSchema).safeParse(raw ?? []);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const path = issue.path
        .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))
        .join('')
        .replace(/^\./, '');
      return `hosts${path.startsWith('[') ? '' : '.'}${path}: ${issue.message}`;
    });
    throw new ConfigError(`${where}: invalid host bindings: ${issues.join('; ')}`, {
      hint: 'See infra/ssh/README.md for the fields of a host binding.',
    });
  }
  const names = result.data.map((b) => b.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) {
    throw new ConfigError(`${where}: host binding '${duplicate}' is defined more than once`, {
      hint: 'Give each host binding a unique name.',
    });
  }
  return result.data;
}
