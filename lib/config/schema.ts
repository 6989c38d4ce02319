/**
 * The zod schema of `plumbline.yaml`, as written in the file. `parse-repo-config.ts` validates
 * against it once, turns issues into messages that name the field and line, and hands out the
 * typed `RepoConfig`; nothing inside Plumbline sees the raw YAML.
 */
import { z } from 'zod';
import { normalizePath } from '../source/file-tree.ts';
import { HELM_ALLOWED_FIELDS, HelmAppSourceSchema } from './helm-app-schema.ts';

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

/** One entry of `apps`. */
export const AppSchema = z.strictObject({
  name: dnsLabel,
  path: repoPath,
  target: nonEmpty,
  namespace: dnsLabel,
  branch: branchName.default('main'),
  prune: z.boolean().default(true),
  selfHeal: z.boolean().default(false),
  /** A Helm chart rendered instead of the path's kustomization (see helm-app-schema.ts). */
  helm: HelmAppSourceSchema.optional(),
});

/** The whole file. */
export const RepoConfigSchema = z.strictObject({
  targets: z.array(TargetSchema).min(1, { error: 'must define at least one target' }),
  apps: z.array(AppSchema),
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
  ...HELM_ALLOWED_FIELDS,
};
