/**
 * Target bindings: where the operator lets credentials go. Each binding, in the runtime
 * settings and nowhere else, names one destination (a Kubernetes API server, its CA and the
 * credential Plumbline authenticates with), the repositories allowed to deploy through it and
 * the namespaces their apps may use. `plumbline.yaml` only names a binding (`apps[].target`),
 * so nothing in a repository can send a credential anywhere else.
 *
 * The schema is a union on `kind`, so other kinds of destination (SSH and local hosts, issue
 * 14) are one more member of `TargetBindingSchema`. Written with zod's functional API
 * (`z.optional`, `.check`) so it also runs under `zod/mini`.
 */
import * as z from 'zod';
import { certificatePemProblem, describeCertificatePemProblem } from './certificate-pem.ts';
import {
  type HostTarget,
  LocalHostBindingSchema,
  SshHostBindingSchema,
  toHostTarget,
} from './host-binding.ts';
import { describeServerAddressProblem, serverAddressProblem } from './server-address.ts';

/** How Plumbline obtains a short-lived credential for a Kubernetes target. */
export type TargetCredentials =
  | {
      /** A context of the local kubeconfig: where Plumbline runs as its operator's tool. */
      kind: 'kubeconfig';
      context: string;
    }
  | {
      /** A ServiceAccount token from the TokenRequest API, using a bootstrap credential. */
      kind: 'tokenRequest';
      serviceAccount: string;
      namespace: string;
      /** Audience of the token; the API server's default when absent. */
      audience?: string;
      /** Name of the runtime secret holding the bootstrap credential. */
      bootstrapSecret: string;
      /** Requested lifetime (600 when absent). */
      expirationSeconds: number;
    }
  | {
      /** A presigned STS token for the EKS cluster this binding names, and no other. */
      kind: 'eks';
      cluster: string;
      region: string;
      roleArn?: string;
    }
  | {
      /** A bearer token held by the runtime under this secret name. */
      kind: 'token';
      secret: string;
    }
  | {
      /** A TLS client certificate and key, each held by the runtime as a named secret. */
      kind: 'clientCertificate';
      certificateSecret: string;
      keySecret: string;
    };

/** A Cloudflare Access service token sent with every request to this binding's server. */
export interface AccessServiceToken {
  clientId: string;
  /** Name of the runtime secret holding the service token's client secret. */
  secret: string;
}

/** A Kubernetes API server bound by the operator. */
export interface KubernetesTarget {
  kind: 'kubernetes';
  /** The name apps use in `plumbline.yaml` (`apps[].target`). */
  name: string;
  /** The API server URL (https, no user info, not link-local unless allowed). */
  server: string;
  /** PEM CA bundle of the API server; absent when it is publicly trusted. */
  ca?: string;
  credentials: TargetCredentials;
  access?: AccessServiceToken;
  /** Repositories (`owner/name`, `owner/*` or `*`) whose apps may deploy here. */
  repositories: string[];
  /** Namespaces (a name, `prefix*` or `*`) apps and their objects may use. */
  namespaces: string[];
  /** Cluster-scoped objects other than the allowed Namespaces may be applied. */
  clusterResources: boolean;
  /** The operator's explicit exception for a link-local or metadata address. */
  allowLinkLocal: boolean;
}

/** Every kind of binding: a Kubernetes API server, or a host for `files` apps. */
export type TargetBinding = KubernetesTarget | HostTarget;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const dnsLabel = z.string().check(
  z.regex(DNS_LABEL, {
    error:
      "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. 'staging')",
  }),
);

const nonEmpty = z.string().check(z.minLength(1, { error: 'must not be empty' }));

/** A runtime secret's name (never its value). */
const secretName = z.string().check(
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, {
    error:
      "must name a runtime secret: letters, digits, '-', '_' or '.' (e.g. 'staging-token'), not the secret itself",
  }),
);

const REPOSITORY_PATTERN = /^(\*|[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(\*|[A-Za-z0-9._-]{1,100}))$/;
const NAMESPACE_PATTERN = /^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|[a-z0-9][-a-z0-9]{0,61}\*)$/;

/** `credentials.kubeconfig`. */
const KubeconfigCredentialsSchema = z.strictObject({ context: nonEmpty });

/** `credentials.tokenRequest`. */
const TokenRequestCredentialsSchema = z.strictObject({
  serviceAccount: dnsLabel,
  namespace: dnsLabel,
  audience: z.optional(nonEmpty),
  bootstrapSecret: secretName,
  expirationSeconds: z.optional(
    z
      .int({ error: 'must be a whole number of seconds' })
      .check(
        z.gte(600, { error: 'must be at least 600 (the Kubernetes minimum)' }),
        z.lte(86400, { error: 'must be at most 86400 (one day); short lifetimes are the point' }),
      ),
  ),
});

/** `credentials.eks`. */
const EksCredentialsSchema = z.strictObject({
  cluster: nonEmpty,
  region: z
    .string()
    .check(
      z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: "must be an AWS region (e.g. 'eu-west-1')" }),
    ),
  roleArn: z.optional(
    z.string().check(
      z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
        error: "must be an IAM role ARN (e.g. 'arn:aws:iam::123456789012:role/plumbline')",
      }),
    ),
  ),
});

/** `credentials.token`. */
const TokenCredentialsSchema = z.strictObject({ secret: secretName });

/** `credentials.clientCertificate`. */
const ClientCertificateCredentialsSchema = z.strictObject({
  certificateSecret: secretName,
  keySecret: secretName,
});

/** The credential sources, by the key that selects each. */
export const CREDENTIAL_SOURCES = [
  'token',
  'tokenRequest',
  'eks',
  'clientCertificate',
  'kubeconfig',
] as const;

/** `credentials`: exactly one source. */
const CredentialsSchema = z
  .strictObject({
    token: z.optional(TokenCredentialsSchema),
    tokenRequest: z.optional(TokenRequestCredentialsSchema),
    eks: z.optional(EksCredentialsSchema),
    clientCertificate: z.optional(ClientCertificateCredentialsSchema),
    kubeconfig: z.optional(KubeconfigCredentialsSchema),
  })
  .check(
    z.refine(
      (value) => CREDENTIAL_SOURCES.filter((kind) => value[kind] !== undefined).length === 1,
      {
        error: `must name exactly one credential source: one of ${CREDENTIAL_SOURCES.join(', ')}`,
      },
    ),
  );

/** `access`: a Cloudflare Access service token for a server published through Tunnel. */
const AccessSchema = z.strictObject({ clientId: nonEmpty, secret: secretName });

/** A binding of kind `kubernetes`, as written in the settings. */
export const KubernetesTargetSchema = z
  .strictObject({
    kind: z.literal('kubernetes'),
    name: dnsLabel,
    server: z.string(),
    ca: z.optional(z.string()),
    credentials: CredentialsSchema,
    access: z.optional(AccessSchema),
    repositories: z.array(
      z.string().check(
        z.regex(REPOSITORY_PATTERN, {
          error: "must be 'owner/name', 'owner/*' or '*' (a repository this binding serves)",
        }),
      ),
    ),
    namespaces: z.array(
      z.string().check(
        z.regex(NAMESPACE_PATTERN, {
          error: "must be a namespace name, a prefix ending in '*' (e.g. 'team-a-*'), or '*'",
        }),
      ),
    ),
    clusterResources: z.optional(z.boolean()),
    allowLinkLocal: z.optional(z.boolean()),
  })
  .check((ctx) => {
    const value = ctx.value;
    const problem = serverAddressProblem(value.server, value.allowLinkLocal === true);
    if (problem) {
      ctx.issues.push({
        code: 'custom',
        input: '',
        path: ['server'],
        message: describeServerAddressProblem(problem),
      });
    }
    const caProblem = value.ca === undefined ? undefined : certificatePemProblem(value.ca);
    if (caProblem) {
      ctx.issues.push({
        code: 'custom',
        input: '',
        path: ['ca'],
        message: describeCertificatePemProblem(caProblem),
      });
    }
    for (const field of ['repositories', 'namespaces'] as const) {
      if (value[field].length === 0) {
        ctx.issues.push({
          code: 'custom',
          input: '',
          path: [field],
          message:
            field === 'repositories'
              ? "must list at least one repository allowed to use this binding ('owner/name', 'owner/*' or '*')"
              : "must list at least one namespace apps may deploy to (a name, 'prefix*' or '*')",
        });
      }
    }
  });

/** Any binding: a union on `kind` (Kubernetes API servers; SSH and local hosts). */
export const TargetBindingSchema = z.discriminatedUnion(
  'kind',
  [KubernetesTargetSchema, SshHostBindingSchema, LocalHostBindingSchema],
  { error: "must be 'kubernetes', 'ssh' or 'local' (the kinds of target this runtime knows)" },
);

type RawKubernetesTarget = z.infer<typeof KubernetesTargetSchema>;

function credentialsOf(raw: RawKubernetesTarget['credentials']): TargetCredentials {
  if (raw.token) return { kind: 'token', secret: raw.token.secret };
  if (raw.tokenRequest) {
    const t = raw.tokenRequest;
    return {
      kind: 'tokenRequest',
      serviceAccount: t.serviceAccount,
      namespace: t.namespace,
      ...(t.audience === undefined ? {} : { audience: t.audience }),
      bootstrapSecret: t.bootstrapSecret,
      expirationSeconds: t.expirationSeconds ?? 600,
    };
  }
  if (raw.eks) {
    return {
      kind: 'eks',
      cluster: raw.eks.cluster,
      region: raw.eks.region,
      ...(raw.eks.roleArn === undefined ? {} : { roleArn: raw.eks.roleArn }),
    };
  }
  if (raw.clientCertificate) {
    return {
      kind: 'clientCertificate',
      certificateSecret: raw.clientCertificate.certificateSecret,
      keySecret: raw.clientCertificate.keySecret,
    };
  }
  if (raw.kubeconfig) return { kind: 'kubeconfig', context: raw.kubeconfig.context };
  throw new Error('unreachable: the schema checked that one credential source is named');
}

/**
 * The typed binding of a validated entry. Fields are copied one by one into a fresh object,
 * so nothing from the settings' parse (a `__proto__` key, say) travels along.
 */
export function toTargetBinding(raw: z.infer<typeof TargetBindingSchema>): TargetBinding {
  if (raw.kind !== 'kubernetes') return toHostTarget(raw);
  return {
    kind: 'kubernetes',
    name: raw.name,
    server: raw.server.replace(/\/+$/, ''),
    ...(raw.ca === undefined ? {} : { ca: raw.ca }),
    credentials: credentialsOf(raw.credentials),
    ...(raw.access === undefined
      ? {}
      : { access: { clientId: raw.access.clientId, secret: raw.access.secret } }),
    repositories: [...raw.repositories],
    namespaces: [...raw.namespaces],
    clusterResources: raw.clusterResources === true,
    allowLinkLocal: raw.allowLinkLocal === true,
  };
}

/** True when `pattern` (`owner/name`, `owner/*`, `*`) covers `fullName`, case-insensitively. */
export function repositoryMatches(pattern: string, fullName: string): boolean {
  const p = pattern.toLowerCase();
  const name = fullName.toLowerCase();
  if (p === '*') return true;
  if (p.endsWith('/*'))
    return name.startsWith(p.slice(0, -1)) && !name.slice(p.length - 1).includes('/');
  return p === name;
}

/** True when `pattern` (a name, `prefix*`, `*`) covers `namespace`. */
export function namespaceMatches(pattern: string, namespace: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  return pattern === namespace;
}

/** True when `binding` lets repository `fullName` deploy through it. */
export function bindingAllowsRepository(binding: TargetBinding, fullName: string): boolean {
  return binding.repositories.some((pattern) => repositoryMatches(pattern, fullName));
}

/** True when `binding` lets apps use `namespace`. */
export function bindingAllowsNamespace(binding: KubernetesTarget, namespace: string): boolean {
  return binding.namespaces.some((pattern) => namespaceMatches(pattern, namespace));
}
