/**
 * The zod schema of `plumbline.yaml`, as written in the file. `parse-repo-config.ts` validates
 * against it once, turns issues into messages that name the field and line, and hands out the
 * typed `RepoConfig`; nothing inside Plumbline sees the raw YAML.
 */
import { z } from 'zod';
import { normalizePath } from '../source/file-tree.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Kubernetes-style name: lowercase letters, digits and '-', at most 63 characters. */
const dnsLabel = z.string().regex(DNS_LABEL, {
  error:
    "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. 'web-api')",
});

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

const httpsUrl = z.string().refine(
  (value) => {
    try {
      return new URL(value).protocol === 'https:';
    } catch {
      return false;
    }
  },
  {
    error:
      "must be an https:// URL of the Kubernetes API server (e.g. 'https://k8s.example.com:6443')",
  },
);

const pemCertificate = z
  .string()
  .refine((value) => /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(value), {
    error:
      "must be a PEM certificate ('-----BEGIN CERTIFICATE-----' ... '-----END CERTIFICATE-----'); use a YAML block scalar 'ca: |'",
  });

const repoPath = z.string().refine(
  (value) => {
    try {
      normalizePath(value);
      return !value.startsWith('/');
    } catch {
      return false;
    }
  },
  {
    error: "must be a path relative to the repository root that stays inside it (e.g. 'apps/web')",
  },
);

const branchName = z.string().regex(/^(?!refs\/)(?!.*\.\.)(?!.*\/\/)[^\s~^:?*[\\]+$/, {
  error: "must be a branch name without 'refs/heads/' (e.g. 'main')",
});

/** `credentials.kubeconfig`: a context of the local kubeconfig (CLI use only). */
export const KubeconfigCredentialsSchema = z.strictObject({ context: nonEmpty });

/** `credentials.tokenRequest`: a short-lived ServiceAccount token from a bootstrap credential. */
export const TokenRequestCredentialsSchema = z.strictObject({
  serviceAccount: dnsLabel,
  namespace: dnsLabel,
  audience: nonEmpty.optional(),
  bootstrapSecret: nonEmpty,
  expirationSeconds: z
    .int({ error: 'must be a whole number of seconds' })
    .min(600, { error: 'must be at least 600 (the Kubernetes minimum)' })
    .max(86400, { error: 'must be at most 86400 (one day); short lifetimes are the point' })
    .optional(),
});

/** `credentials.eks`: an EKS token presigned with the runtime's AWS identity. */
export const EksCredentialsSchema = z.strictObject({
  cluster: nonEmpty,
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: "must be an AWS region (e.g. 'eu-west-1')" }),
  roleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
      error: "must be an IAM role ARN (e.g. 'arn:aws:iam::123456789012:role/plumbline')",
    })
    .optional(),
});

/** `credentials.token`: a bearer token the runtime holds as a named secret. */
export const TokenCredentialsSchema = z.strictObject({ secret: nonEmpty });

/** `targets[].credentials`: exactly one source, checked after parsing. */
export const CredentialsSchema = z.strictObject({
  kubeconfig: KubeconfigCredentialsSchema.optional(),
  tokenRequest: TokenRequestCredentialsSchema.optional(),
  eks: EksCredentialsSchema.optional(),
  token: TokenCredentialsSchema.optional(),
});

/** One entry of `targets`. */
export const TargetSchema = z.strictObject({
  name: dnsLabel,
  server: httpsUrl,
  ca: pemCertificate.optional(),
  insecureSkipTLSVerify: z
    .literal(false, {
      error:
        "can only be false: Plumbline always verifies TLS; put the cluster's CA certificate in 'ca' instead",
    })
    .optional(),
  credentials: CredentialsSchema,
});

/** One entry of `apps` deploying Kubernetes manifests (`kind: kubernetes`, the default). */
export const AppSchema = z.strictObject({
  kind: z.literal('kubernetes').optional(),
  name: dnsLabel,
  path: repoPath,
  target: nonEmpty,
  namespace: dnsLabel,
  branch: branchName.default('main'),
  prune: z.boolean().default(true),
  selfHeal: z.boolean().default(false),
});

/** A file mode written as an octal string, e.g. `'0644'`. */
const fileMode = z.string().regex(/^0?[0-7]{3}$/, {
  error:
    "must be an octal file mode in quotes, e.g. '0644' (unquoted, YAML reads 0644 as a number)",
});

/** An absolute directory on a host, without `.` or `..` segments. */
const hostDirectory = z
  .string()
  .refine(
    (value) =>
      /^(\/[A-Za-z0-9_+@][A-Za-z0-9._+@-]*)+\/?$/.test(value) &&
      !value.split('/').some((segment) => segment === '.' || segment === '..'),
    {
      error:
        "must be an absolute directory on the host made of plain names (e.g. '/etc/nginx'), not '/' itself",
    },
  );

/** A command from trusted configuration; `{staged}` is the only substitution. */
const hostCommand = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((value) => !value.includes('\0'), { error: 'must not contain a NUL byte' });

/** One entry of `apps` deploying files to a host (`kind: files`). */
export const FilesAppSchema = z.strictObject({
  kind: z.literal('files'),
  name: dnsLabel,
  path: repoPath,
  target: dnsLabel,
  destination: hostDirectory,
  mode: fileMode.default('0644'),
  modes: z.record(z.string().min(1), fileMode).default({}),
  validate: hostCommand.optional(),
  reload: hostCommand.optional(),
  branch: branchName.default('main'),
  prune: z.boolean().default(true),
  selfHeal: z.boolean().default(false),
  adopt: z.boolean().default(false),
});

/** The whole file. */
export const RepoConfigSchema = z.strictObject({
  // A repository with only files apps needs no cluster, so no target.
  targets: z.array(TargetSchema).default([]),
  apps: z.array(
    z.preprocess(
      // An app without `kind` deploys Kubernetes manifests, as before there were kinds.
      (value) =>
        typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value)
          ? { kind: 'kubernetes', ...value }
          : value,
      z.discriminatedUnion(
        'kind',
        [AppSchema.extend({ kind: z.literal('kubernetes') }), FilesAppSchema],
        {
          error: "kind must be 'kubernetes' (the default) or 'files'",
        },
      ),
    ),
  ),
  allowForkPlans: z.boolean().default(false),
});

/** The fields allowed in each object of the file, by the path pattern of that object. */
export const ALLOWED_FIELDS: Record<string, string[]> = {
  '': Object.keys(RepoConfigSchema.shape),
  'targets[]': Object.keys(TargetSchema.shape),
  'targets[].credentials': Object.keys(CredentialsSchema.shape),
  'targets[].credentials.kubeconfig': Object.keys(KubeconfigCredentialsSchema.shape),
  'targets[].credentials.tokenRequest': Object.keys(TokenRequestCredentialsSchema.shape),
  'targets[].credentials.eks': Object.keys(EksCredentialsSchema.shape),
  'targets[].credentials.token': Object.keys(TokenCredentialsSchema.shape),
  'apps[]': Object.keys(AppSchema.shape),
  'apps[] (files)': Object.keys(FilesAppSchema.shape),
};
