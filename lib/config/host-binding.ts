/**
 * Host bindings: the `ssh` and `local` kinds of target binding (`target-binding.ts` holds the
 * union). Like a Kubernetes binding, a host binding lives in the operator's runtime settings,
 * never in a repository: `plumbline.yaml` only names it, and it says which repositories may use
 * it and under which directories they may write. An `ssh` binding pins the host key (no trust
 * on first use) and names where the credential comes from: an SSH certificate authority (a key
 * in the runtime's secrets, or an AWS KMS key that never leaves KMS) that mints a certificate
 * per use, or, weaker, a private key. A `local` binding is the machine Plumbline runs on.
 * Written with zod's functional API so it also runs under `zod/mini`.
 */
import * as z from 'zod';
import { ConfigError } from '../errors.ts';

/** Where an `ssh` binding's credential comes from. */
export type SshCredentials =
  | {
      /** Mint a user certificate per connection, signed by a CA key. */
      kind: 'certificate';
      /** A runtime secret holding the CA's private key (OpenSSH or PKCS#8, Ed25519 or P-256). */
      caSecret?: string;
      /** An AWS KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs; it never leaves KMS. */
      kmsKeyId?: string;
      /** How long each certificate is valid. */
      ttlSeconds: number;
    }
  | {
      /** A long-lived private key in the runtime's secrets: the weaker choice. */
      kind: 'privateKey';
      secret: string;
    };

/** An SSH host bound by the operator. */
export interface SshHostTarget {
  kind: 'ssh';
  /** The name apps use in `plumbline.yaml` (`apps[].target`). */
  name: string;
  host: string;
  port: number;
  /** The host keys to accept (`authorized_keys` lines); any other key is refused. */
  hostKeys: string[];
  user: string;
  credentials: SshCredentials;
  /** Repositories (`owner/name`, `owner/*` or `*`) whose apps may deploy here. */
  repositories: string[];
  /** Directories apps may deploy into (a destination must be one of them or inside one). */
  paths: string[];
}

/** The machine Plumbline runs on. */
export interface LocalHostTarget {
  kind: 'local';
  name: string;
  repositories: string[];
  paths: string[];
}

/** A host `files` apps deploy to. */
export type HostTarget = SshHostTarget | LocalHostTarget;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const REPOSITORY_PATTERN = /^(\*|[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(\*|[A-Za-z0-9._-]{1,100}))$/;

const bindingName = z.string().check(
  z.regex(DNS_LABEL, {
    error: "must be a DNS label: lowercase letters, digits and '-' (e.g. 'web-1')",
  }),
);

const secretName = z.string().check(
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, {
    error:
      "must name a runtime secret: letters, digits, '-', '_' or '.' (e.g. 'ssh-ca'), not the secret itself",
  }),
);

/** True when `value` is an absolute directory of plain names, with no `.` or `..`. */
export function isHostDirectory(value: string): boolean {
  // A leading dot is a plain name too (`~/.local/share/plumbline`, where the embedded default
  // deploys); `.` and `..` are not, and no segment may start with `-`.
  return (
    /^(\/[A-Za-z0-9_+@.][A-Za-z0-9._+@-]*)+\/?$/.test(value) &&
    !value.split('/').some((segment) => segment === '.' || segment === '..')
  );
}

const hostDirectory = z.string().check(
  z.refine(isHostDirectory, {
    error: "must be an absolute directory made of plain names, e.g. '/etc/nginx'",
  }),
);

/** A host name or address; link-local (cloud metadata) addresses are refused. */
const hostAddress = z.string().check(
  z.regex(
    /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/,
    { error: "must be a host name or an IP address (e.g. 'web-1.example.com', '192.0.2.10')" },
  ),
  z.refine((value) => !/^169\.254\./.test(value) && !/^\[?fe80:/i.test(value), {
    error: 'is a link-local (cloud metadata) address; Plumbline refuses those',
  }),
);

/** A pinned host key: one `authorized_keys`-style line. */
const hostKeyLine = z.string().check(
  z.regex(
    /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ssh-rsa) [A-Za-z0-9+/]+={0,2}( .*)?$/,
    {
      error:
        "must be a host public key line such as 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 HOST, or /etc/ssh/ssh_host_ed25519_key.pub)",
    },
  ),
);

const repositories = z.array(
  z.string().check(
    z.regex(REPOSITORY_PATTERN, {
      error: "must be 'owner/name', 'owner/*' or '*' (a repository this binding serves)",
    }),
  ),
);

/** `credentials` of an `ssh` binding: exactly one source. */
const SshCredentialsSchema = z
  .strictObject({
    certificate: z.optional(
      z
        .strictObject({
          caSecret: z.optional(secretName),
          kmsKeyId: z.optional(
            z.string().check(
              z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, {
                error: "must be a KMS key ARN (e.g. 'arn:aws:kms:eu-west-1:123456789012:key/…')",
              }),
            ),
          ),
          ttlSeconds: z.optional(
            z.int({ error: 'must be a whole number of seconds' }).check(
              z.gte(60, { error: 'must be at least 60' }),
              z.lte(3600, {
                error: 'must be at most 3600: certificates are meant to be short-lived',
              }),
            ),
          ),
        })
        .check(
          z.refine((c) => (c.caSecret === undefined) !== (c.kmsKeyId === undefined), {
            error: 'name exactly one of caSecret and kmsKeyId',
          }),
        ),
    ),
    privateKey: z.optional(z.strictObject({ secret: secretName })),
  })
  .check(
    z.refine((c) => (c.certificate === undefined) !== (c.privateKey === undefined), {
      error: 'name exactly one credential source: certificate (recommended) or privateKey',
    }),
  );

/** A binding of kind `ssh`, as written in the settings. */
export const SshHostBindingSchema = z.strictObject({
  kind: z.literal('ssh'),
  name: bindingName,
  host: hostAddress,
  port: z.optional(z.int().check(z.gte(1), z.lte(65535))),
  hostKeys: z.array(hostKeyLine).check(z.minLength(1, { error: 'must pin at least one host key' })),
  user: z.string().check(z.regex(/^[a-z_][a-z0-9_-]*[$]?$/, { error: 'must be a Unix user name' })),
  credentials: SshCredentialsSchema,
  repositories: repositories.check(z.minLength(1, { error: 'must allow at least one repository' })),
  paths: z
    .array(hostDirectory)
    .check(z.minLength(1, { error: 'must allow at least one directory' })),
});

/** A binding of kind `local`, as written in the settings. */
export const LocalHostBindingSchema = z.strictObject({
  kind: z.literal('local'),
  name: bindingName,
  repositories: repositories.check(z.minLength(1, { error: 'must allow at least one repository' })),
  paths: z
    .array(hostDirectory)
    .check(z.minLength(1, { error: 'must allow at least one directory' })),
});

type RawHostBinding = z.infer<typeof SshHostBindingSchema> | z.infer<typeof LocalHostBindingSchema>;

/** The typed binding of a validated entry: defaults filled in, fields copied one by one. */
export function toHostTarget(raw: RawHostBinding): HostTarget {
  if (raw.kind === 'local') {
    return {
      kind: 'local',
      name: raw.name,
      repositories: [...raw.repositories],
      paths: [...raw.paths],
    };
  }
  const { certificate, privateKey } = raw.credentials;
  const credentials: SshCredentials = certificate
    ? {
        kind: 'certificate',
        ...(certificate.caSecret === undefined ? {} : { caSecret: certificate.caSecret }),
        ...(certificate.kmsKeyId === undefined ? {} : { kmsKeyId: certificate.kmsKeyId }),
        ttlSeconds: certificate.ttlSeconds ?? 300,
      }
    : { kind: 'privateKey', secret: privateKey?.secret ?? '' };
  return {
    kind: 'ssh',
    name: raw.name,
    host: raw.host,
    port: raw.port ?? 22,
    hostKeys: [...raw.hostKeys],
    user: raw.user,
    credentials,
    repositories: [...raw.repositories],
    paths: [...raw.paths],
  };
}

/** Whether `destination` is one of the binding's directories or inside one. */
export function bindingAllowsPath(binding: HostTarget, destination: string): boolean {
  const clean = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
  const target = clean(destination);
  return binding.paths.some((allowed) => {
    const root = clean(allowed);
    return target === root || target.startsWith(root === '/' ? '/' : `${root}/`);
  });
}

/**
 * Host bindings validated on their own (tests and tools; runtimes read them with every other
 * binding from the settings' `targets`). Throws `ConfigError` naming the binding and field.
 */
export function parseHostBindings(raw: unknown, where: string): HostTarget[] {
  const result = z
    .array(z.discriminatedUnion('kind', [SshHostBindingSchema, LocalHostBindingSchema]))
    .safeParse(raw ?? []);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const path = issue.path
        .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))
        .join('')
        .replace(/^\./, '');
      return `targets${path.startsWith('[') ? '' : '.'}${path}: ${issue.message}`;
    });
    throw new ConfigError(`${where}: invalid host bindings: ${issues.join('; ')}`, {
      hint: 'See infra/ssh/README.md for the fields of a host binding.',
    });
  }
  const bindings = result.data.map(toHostTarget);
  const names = bindings.map((b) => b.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) {
    throw new ConfigError(`${where}: host binding '${duplicate}' is defined more than once`, {
      hint: 'Give each binding a unique name.',
    });
  }
  return bindings;
}
